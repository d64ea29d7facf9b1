// A job's dependency graph as SVG, from its ExecutionPlan (GET /api/jobs/{id}/plan): one column per level (the
// longest chain of parents above a step; roots on the left), edges from each parent to its child, the critical
// path drawn bold, the job itself outlined. Clicking a step opens that job. Each step is a <g data-job-id>.

const svg_ns = 'http://www.w3.org/2000/svg';
const box = { width: 150, height: 36, column: 200, row: 52, margin: 12 };

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(svg_ns, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function draw_plan(plan, on_open) {
  const steps = plan.steps || [];
  const rows = new Map();  // level -> steps placed so far
  const at = new Map();    // id -> {x, y}
  for (const step of steps) {
    const level = Number(step.level || 0);
    const row = rows.get(level) || 0;
    rows.set(level, row + 1);
    at.set(String(step.id), { x: box.margin + level * box.column, y: box.margin + row * box.row });
  }
  const width = box.margin * 2 + Math.max(0, ...[...rows.keys()]) * box.column + box.width;
  const height = box.margin * 2 + Math.max(1, ...rows.values()) * box.row - (box.row - box.height);
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'plan',
                            'data-steps': steps.length });
  const critical = (plan.critical_path || []).map(String);
  const on_critical = (a, b) => critical.some((id, i) => id === a && critical[i + 1] === b);

  for (const step of steps) {
    const to = at.get(String(step.id));
    for (const parent of step.dependencies || []) {
      const from = at.get(String(parent));
      if (!from) continue;  // a parent outside the plan
      const x1 = from.x + box.width, y1 = from.y + box.height / 2, x2 = to.x, y2 = to.y + box.height / 2;
      const mid = (x1 + x2) / 2;
      root.append(svg('path', {
        d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`,
        class: on_critical(String(parent), String(step.id)) ? 'edge critical' : 'edge',
      }));
    }
  }
  for (const step of steps) {
    const id = String(step.id);
    const { x, y } = at.get(id);
    const state = step.deleted ? 'DELETED' : step.state;
    const g = svg('g', { class: `step state-${state}${id === String(plan.job) ? ' focus' : ''}`,
                         'data-job-id': id, transform: `translate(${x},${y})` });
    g.append(svg('rect', { width: box.width, height: box.height, rx: 6 }));
    g.append(svg('text', { x: 8, y: 15 }, `#${id} ${step.ref || step.kind || ''}`.slice(0, 22)));
    g.append(svg('text', { x: 8, y: 29, class: 'state' }, state));
    g.append(svg('title', {}, `job ${id}: ${step.kind || '?'} ${state}${step.ref ? ' (ref ' + step.ref + ')' : ''}`));
    if (!step.deleted) g.addEventListener('click', () => on_open(id));
    root.append(g);
  }
  return root;
}
