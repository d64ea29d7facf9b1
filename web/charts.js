// The four live charts, drawn with Chart.js (Debian's libjs-chart.js, embedded as /assets/chart.min.js) from the
// dashboard's `recent` series: 1 s points over the last minutes, columnar (t: Unix seconds, v: values). Each
// chart's <figure> carries data-points: how many points it draws now (the end-to-end test reads it).

const colors = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2'];

// chart element id -> [series name, label, axis]
const layouts = {
  'chart-depth': [['depth_ready', 'ready'], ['depth_running', 'running'], ['depth_blocked', 'blocked'],
                  ['depth_scheduled', 'scheduled']],
  'chart-throughput': [['throughput_1s', 'last 1 s'], ['throughput_1m', 'last 1 min']],
  'chart-latency': [['pickup_p50_1m_seconds', 'p50'], ['pickup_p95_1m_seconds', 'p95'],
                    ['pickup_p99_1m_seconds', 'p99']],
  'chart-slots': [['slots_busy', 'busy'], ['slots_total', 'total'], ['utilization_1m', 'utilization 1 min', 'y1'],
                  ['workers_active', 'workers'], ['desired_workers', 'workers wanted']],
};

function clock_label(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString([], { hour12: false });
}

function make_chart(figure, layout) {
  const right_axis = layout.some(([, , axis]) => axis === 'y1');
  const scales = {
    // Whole seconds only (precision 0): ticks closer than a second would repeat the same clock label.
    x: { type: 'linear', ticks: { callback: clock_label, maxTicksLimit: 6, maxRotation: 0, precision: 0 } },
    y: { beginAtZero: true },
  };
  if (right_axis) scales.y1 = { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false } };
  return new window.Chart(figure.querySelector('canvas'), {
    type: 'line',
    data: {
      datasets: layout.map(([, label, axis], i) => ({
        label, data: [], yAxisID: axis || 'y', borderColor: colors[i], backgroundColor: colors[i],
        borderWidth: 1.5, pointRadius: 0, tension: 0.2,
      })),
    },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false, parsing: false, normalized: true,
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: { labels: { boxWidth: 12 } },
        tooltip: { callbacks: { title: (items) => (items.length ? clock_label(items[0].parsed.x) : '') } },
      },
      scales,
    },
  });
}

export class charts {
  // Throws if Chart.js did not load (the page shows the error).
  constructor() {
    if (!window.Chart) throw new Error('Chart.js did not load (/assets/chart.min.js)');
    this.charts = new Map();
    for (const [id, layout] of Object.entries(layouts)) {
      const figure = document.getElementById(id);
      this.charts.set(id, { figure, layout, chart: make_chart(figure, layout) });
    }
  }

  // Draws `series_set` (a SeriesSet; absent or empty: every chart empty).
  update(series_set) {
    const by_name = new Map(((series_set && series_set.series) || []).map((s) => [s.name, s]));
    for (const { figure, layout, chart } of this.charts.values()) {
      let points = 0;
      layout.forEach(([name], i) => {
        const s = by_name.get(name);
        const data = s ? s.t.map((t, j) => ({ x: Number(t), y: Number(s.v[j]) })) : [];
        chart.data.datasets[i].data = data;
        points += data.length;
      });
      chart.options.scales.x.ticks.display = points > 0;  // no time axis to label without points
      chart.update('none');
      figure.dataset.points = String(points);
      figure.classList.toggle('empty', points === 0);
    }
  }
}
