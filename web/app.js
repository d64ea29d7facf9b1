// troupe's live dashboard (docs/dashboard.md): the login, then a refresh loop that polls GET /api/jobs/dashboard
// every 1.5 s (header, health, alerts, figures, charts) and the job table and queues every 2 s. A 401 from any
// call signs out and shows the login with the node's message. Controls are shown by the caller's role
// (Dashboard.role: "admin", "user" or "read-only"); the node checks them again.

import { api, el, format_duration, format_number, format_time, session, set_unauthorized_handler, time_ms }
  from './api.js';
import { charts } from './charts.js';
import { jobs_view } from './jobs.js';

const board_interval_ms = 1500;
const table_interval_ms = 2000;

const $ = (id) => document.getElementById(id);

// `generation` counts sign-ins: a loop of an earlier one stops at its next tick.
const state = { board: null, generation: 0, timers: new Map(), charts: null, jobs: null };

const page = {
  role: () => (state.board ? state.board.role : ''),
  user: () => (state.board ? state.board.user : ''),
  show_error(text) { $('error-bar').textContent = text; $('error-bar').hidden = false; },
  clear_error() { $('error-bar').hidden = true; },
};

// --- sign in and out ---

function show_login(message) {
  stop();
  $('app').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message || '';
  $('token').focus();
}

function sign_out(message) {
  session.clear();
  state.board = null;
  show_login(message);
}

set_unauthorized_handler((e) => sign_out(e.message));

async function sign_in(token) {
  session.set(token);
  try {
    const board = await api('GET', '/api/jobs/dashboard');
    start(board);
  } catch (e) {
    if (e.status !== 401) show_login(e.message);  // 401: the handler has shown it already
  }
}

// --- the loops ---

// Runs `task` now and again `ms` after each run ends, until stop().
function every(name, ms, task) {
  const generation = state.generation;
  const tick = async () => {
    if (generation !== state.generation) return;
    try {
      await task();
    } catch (e) {
      if (e.status !== 401) page.show_error(e.message);
    }
    if (generation === state.generation) state.timers.set(name, setTimeout(tick, ms));
  };
  tick();
}

function start(board) {
  $('login').hidden = true;
  $('app').hidden = false;
  if (!state.charts) {
    try { state.charts = new charts(); } catch (e) { page.show_error(e.message); }
  }
  if (!state.jobs) state.jobs = new jobs_view(page);
  state.generation += 1;
  render_board(board);
  state.timers.set('board', setTimeout(() => every('board', board_interval_ms, refresh_board), board_interval_ms));
  every('table', table_interval_ms, async () => { await state.jobs.refresh(); await refresh_queues(); });
}

function stop() {
  state.generation += 1;
  for (const t of state.timers.values()) clearTimeout(t);
  state.timers.clear();
}

async function refresh_board() {
  render_board(await api('GET', '/api/jobs/dashboard'));
}

// --- the dashboard's parts ---

function render_board(board) {
  state.board = board;
  const status = board.status || {};
  $('node-name').textContent = status.node || '';
  $('node-version').textContent = status.version ? `v${status.version}` : '';
  const started = time_ms(status.started_at);
  $('uptime').textContent = Number.isNaN(started) ? '' : format_duration((Date.now() - started) / 1000);
  $('who').textContent = `${board.user} (${board.role})`;
  render_health(board);
  render_alerts(board.alerts || []);
  render_figures(board);
  render_metrics_note(board);
  if (state.charts) state.charts.update(board.recent);
  $('app').dataset.refreshes = String(Number($('app').dataset.refreshes) + 1);
  $('app').dataset.metricsEnabled = String(Boolean(status.metrics_enabled));
}

function render_health(board) {
  const health = board.health;
  const box = $('health');
  if (!board.status.metrics_enabled || !health || !health.at) {
    const on = board.status.metrics_enabled;
    $('health-score').textContent = on ? '…' : '–';
    box.className = 'health off';
    box.title = on ? 'waiting for the first health report' : 'the health score needs metrics and alerts on this node';
    return;
  }
  const score = Number(health.score);
  $('health-score').textContent = String(score);
  box.className = `health ${score >= 80 ? 'good' : score >= 50 ? 'warn' : 'bad'}`;
  box.title = (health.inputs || []).map((i) =>
    `${i.name}: ${format_number(i.value)} (target ${format_number(i.target)}) −${format_number(i.penalty)}` +
    (i.note ? ` ${i.note}` : '')).join('\n') || 'no penalties';
}

function render_alerts(alerts) {
  const admin = page.role() === 'admin';
  const items = alerts.map((a) => el('li', { class: `alert severity-${a.severity}`, dataset: { alertId: a.id } },
    el('span', { class: 'badge' }, a.severity), el('strong', {}, a.rule), ' ', a.message,
    el('span', { class: 'muted' }, ` since ${format_time(a.fired_at)}`,
       a.acknowledged_by ? ` · acknowledged by ${a.acknowledged_by}` : '',
       time_ms(a.silenced_until) > Date.now() ? ` · silenced until ${format_time(a.silenced_until)}` : ''),
    admin && !a.acknowledged_by ? el('button', { type: 'button', dataset: { action: 'acknowledge' },
      onclick: () => alert_action({ action: 'ACKNOWLEDGE', alert: a.id }) }, 'Acknowledge') : '',
    admin ? el('button', { type: 'button', dataset: { action: 'silence' },
      onclick: () => alert_action({ action: 'SILENCE', alert: a.id, silence_minutes: 60 }) }, 'Silence 1 h') : ''));
  $('alerts').replaceChildren(...(items.length ? items : [el('li', { class: 'muted' }, 'no active alerts')]));
}

async function alert_action(control) {
  try {
    await api('POST', '/api/jobs/alerts', control);
    page.clear_error();
    await refresh_board();
  } catch (e) {
    page.show_error(`${control.action.toLowerCase()} alert ${control.alert}: ${e.message}`);
  }
}

function depth_of(status, wanted) {
  return (status.depth || []).filter((d) => d.state === wanted).reduce((sum, d) => sum + Number(d.count), 0);
}

function render_figures(board) {
  const s = board.status || {};
  const v = (board.latest && board.latest.values) || {};
  const figures = [];
  const add = (label, value, id) => figures.push(el('div', { class: 'figure', id }, el('span', {}, label),
                                                    el('strong', {}, value)));
  if (s.scope !== 'user') {
    add('ready', format_number(depth_of(s, 'READY')), 'figure-ready');
    add('running', format_number(s.running), 'figure-running');
    add('blocked', format_number(s.blocked), 'figure-blocked');
    add('scheduled', format_number(s.scheduled), 'figure-scheduled');
    add('slots busy / total', `${s.slots_busy} / ${s.slots_total}`, 'figure-slots');
    const t = s.throughput || {};
    add('finished/s (1 s · 10 s · 60 s)', [t.last_1s, t.last_10s, t.last_60s].map((x) => format_number(x, 1))
      .join(' · '), 'figure-throughput');
    add('succeeded · failed · dead · cancelled', [s.succeeded_total, s.failed_total, s.dead_total,
      s.cancelled_total].map((x) => format_number(x)).join(' · '), 'figure-totals');
    const admission = s.admission || {};
    add('admission', admission.held ? 'HELD (memory)' : 'open', 'figure-admission');
    const limited = (s.pools || []).filter((p) => Number(p.limit) < Number(p.slots));
    if (limited.length) {
      add('pools throttled', limited.map((p) => `${p.pool} ${p.limit}/${p.slots}`).join(' · '), 'figure-limits');
    }
    const scaling = s.scaling || {};
    if (scaling.mode) {
      const wanted = `${format_number(scaling.desired)} · ${format_number(scaling.workers)} active`;
      add(`workers wanted (${scaling.mode})`, wanted, 'figure-scaling');
    }
  } else {
    const u = s.usage || {};
    add('my unfinished jobs', format_number(u.jobs), 'figure-usage');
    add('slots', format_number(s.slots_total), 'figure-slots');
  }
  if ('memory_percent' in v) add('memory', `${format_number(v.memory_percent, 1)} %`, 'figure-memory');
  if ('cpu_percent' in v) add('CPU', `${format_number(v.cpu_percent, 1)} %`, 'figure-cpu');
  if ('rss_bytes' in v) add('RSS', `${format_number(v.rss_bytes / 1048576, 1)} MiB`, 'figure-rss');
  if ('drain_eta_seconds' in v) add('drain ETA', format_duration(v.drain_eta_seconds) || '–', 'figure-drain');
  if ('backlog_growth_per_s' in v) add('backlog growth/s', format_number(v.backlog_growth_per_s), 'figure-growth');
  $('figures').replaceChildren(...figures);
}

function render_metrics_note(board) {
  const note = $('metrics-note');
  const series = (board.recent && board.recent.series) || [];
  let text = '';
  if (page.role() === 'user') text = 'The charts are node-wide: they are shown to admins and read-only users.';
  else if (series.some((s) => s.t && s.t.length)) text = '';
  else if (!board.status.metrics_enabled) text = 'Metrics are off on this node: nothing to chart.';
  else text = 'Collecting metrics… the charts fill in within seconds.';
  note.textContent = text;
  note.hidden = !text;
}

async function refresh_queues() {
  const list = await api('GET', '/api/jobs/control?limit=1');
  const admin = page.role() === 'admin';
  const rows = (list.queues || []).map((q) => el('tr', { dataset: { kind: q.kind } },
    el('td', {}, q.kind), el('td', {}, q.queued), el('td', {}, q.running),
    el('td', {}, q.paused ? 'paused' : 'running'),
    el('td', {}, admin ? el('button', { type: 'button', dataset: { action: q.paused ? 'resume' : 'pause',
                                                                   kind: q.kind },
      onclick: () => queue_action(q.paused ? 'RESUME' : 'PAUSE', q.kind) }, q.paused ? 'Resume' : 'Pause') : '')));
  if (list.runner_stopped)
    rows.unshift(el('tr', {}, el('td', { colspan: 5, class: 'error' }, 'the runner is stopped')));
  document.querySelector('#queues tbody').replaceChildren(...rows);
}

async function queue_action(action, kind) {
  try {
    await api('POST', '/api/jobs/control', { queue: { action, kind } });
    page.clear_error();
    await refresh_queues();
  } catch (e) {
    page.show_error(`${action.toLowerCase()} queue ${kind}: ${e.message}`);
  }
}

// --- start ---

$('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  sign_in($('token').value.trim());
});
$('logout').addEventListener('click', () => sign_out(''));
if (session.token()) sign_in(session.token());
else show_login('');
