// The job table (GET /api/jobs with filters, paged by cursor, refreshed live), the search by id, the job detail
// panel (GET /api/jobs/{id} and /plan) and the job actions (POST /api/jobs/control). Actions are offered by
// role: admins on every job, users on their own jobs, read-only users none; the node enforces the same rules.
// Rows are <tr data-job-id data-state>; action buttons carry data-action and data-job-id.

import { api, el, format_time } from './api.js';
import { draw_plan } from './graph.js';

const unfinished = ['BLOCKED', 'SCHEDULED', 'READY', 'RUNNING'];
const ended = ['SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED'];

// The actions a job's state allows: [data-action, label, JobControl action, states].
const job_actions = [
  ['cancel', 'Cancel', 'CANCEL', unfinished],
  ['retry', 'Retry', 'RETRY', ['FAILED', 'DEAD', 'CANCELLED']],
  ['run-now', 'Run now', 'RUN_NOW', ['SCHEDULED']],
];
const can_prioritize = ['BLOCKED', 'SCHEDULED', 'READY'];

export class jobs_view {
  // `page`: {role(), user(), show_error(text), clear_error()}.
  constructor(page) {
    this.page = page;
    this.cursors = ['0'];  // the cursor of each page up to the current one
    this.rows = new Map(); // job id -> {key, tr}
    this.detail_id = null;
    this.body = document.querySelector('#jobs-table tbody');
    document.getElementById('filters').addEventListener('submit', (e) => {
      e.preventDefault();
      this.cursors = ['0'];
      this.refresh();
    });
    document.getElementById('page-first').addEventListener('click', () => { this.cursors = ['0']; this.refresh(); });
    document.getElementById('page-prev').addEventListener('click', () => {
      if (this.cursors.length > 1) this.cursors.pop();
      this.refresh();
    });
    document.getElementById('page-next').addEventListener('click', () => {
      if (this.next && this.next !== '0') this.cursors.push(this.next);
      this.refresh();
    });
    const search = () => {
      const id = document.getElementById('search-id').value.trim();
      if (!/^\d+$/.test(id)) return this.page.show_error(`'${id}' is not a job id`);
      this.open(id);
    };
    document.getElementById('search-button').addEventListener('click', search);
    document.getElementById('search-id').addEventListener('keydown', (e) => {
      if (e.key === 'Enter') { e.preventDefault(); search(); }
    });
    document.getElementById('detail-close').addEventListener('click', () => this.close());
  }

  query() {
    const params = new URLSearchParams();
    for (const name of ['state', 'kind', 'user', 'batch']) {
      const value = document.getElementById(`filter-${name}`).value.trim();
      if (value) params.set(name, value);
    }
    params.set('limit', document.getElementById('filter-limit').value);
    const cursor = this.cursors[this.cursors.length - 1];
    if (cursor !== '0') params.set('cursor', cursor);
    return params.toString();
  }

  async refresh() {
    const page = await api('GET', `/api/jobs?${this.query()}`);
    this.next = String(page.next_after_id || '0');
    this.render(page.jobs || []);
    const n = this.cursors.length;
    document.getElementById('page-info').textContent =
        `page ${n}, ${(page.jobs || []).length} jobs${this.next === '0' ? ' (last page)' : ''}`;
    document.getElementById('page-next').disabled = this.next === '0';
    document.getElementById('page-prev').disabled = n === 1;
    if (this.detail_id) await this.refresh_detail();
  }

  // Keeps the rows whose job did not change (a button being clicked stays the same element).
  render(jobs) {
    const seen = new Set();
    for (const job of jobs) {
      const id = String(job.id);
      seen.add(id);
      const key = JSON.stringify([job.state, job.attempts, job.spec.priority, this.page.role(), this.page.user()]);
      let row = this.rows.get(id);
      if (!row || row.key !== key) {
        const tr = this.row(job);
        if (row) row.tr.replaceWith(tr);
        row = { key, tr };
        this.rows.set(id, row);
      }
      this.body.append(row.tr);  // moves it into order
    }
    for (const [id, row] of this.rows) {
      if (!seen.has(id)) { row.tr.remove(); this.rows.delete(id); }
    }
    this.body.dataset.count = String(jobs.length);
  }

  row(job) {
    const id = String(job.id);
    const s = job.spec || {};
    return el('tr', { dataset: { jobId: id, state: job.state } },
      el('td', {}, el('a', { href: '#', onclick: (e) => { e.preventDefault(); this.open(id); } }, id)),
      el('td', {}, s.kind), el('td', { class: `state state-${job.state}` }, job.state), el('td', {}, s.priority),
      el('td', {}, s.user), el('td', {}, s.batch), el('td', {}, job.attempts),
      el('td', {}, format_time(job.created_at)),
      el('td', { class: 'row-actions' }, this.buttons(job, false)));
  }

  may_control(job) {
    const role = this.page.role();
    return role === 'admin' || (role === 'user' && job.spec && job.spec.user === this.page.user());
  }

  buttons(job, with_priority) {
    if (!this.may_control(job)) return [];
    const id = String(job.id);
    const out = job_actions.filter(([, , , states]) => states.includes(job.state)).map(([name, label, action]) =>
      el('button', { type: 'button', dataset: { action: name, jobId: id },
                     onclick: () => this.act({ action, job: id }, label) }, label));
    if (with_priority && can_prioritize.includes(job.state)) {
      const select = el('select', { dataset: { action: 'priority', jobId: id } },
        ['CRITICAL', 'HIGH', 'NORMAL', 'LOW'].map((p) => el('option', { selected: p === job.spec.priority }, p)));
      out.push(select, el('button', { type: 'button', dataset: { action: 'prioritize', jobId: id },
        onclick: () => this.act({ action: 'PRIORITIZE', job: id, priority: select.value }, 'Prioritize') },
        'Prioritize'));
    }
    return out;
  }

  async act(control, label) {
    try {
      await api('POST', '/api/jobs/control', { job: control });
      this.page.clear_error();
    } catch (e) {
      this.page.show_error(`${label} job ${control.job}: ${e.message}`);
    }
    await this.refresh().catch((e) => this.page.show_error(e.message));
  }

  async open(id) {
    this.detail_id = String(id);
    document.getElementById('job-detail').hidden = false;
    try {
      await this.refresh_detail();
      document.getElementById('job-detail').scrollIntoView({ block: 'nearest' });
    } catch (e) {
      this.page.show_error(`job ${id}: ${e.message}`);
      this.close();
    }
  }

  close() {
    this.detail_id = null;
    document.getElementById('job-detail').hidden = true;
  }

  async refresh_detail() {
    const id = this.detail_id;
    const [job, plan] = await Promise.all([
      api('GET', `/api/jobs/${id}`),
      api('GET', `/api/jobs/${id}/plan`).catch((e) => ({ error: e.message })),
    ]);
    if (id !== this.detail_id) return;
    const panel = document.getElementById('job-detail');
    panel.dataset.jobId = id;
    panel.dataset.state = job.state;
    document.getElementById('detail-id').textContent = id;
    const r = job.result || {};
    document.getElementById('detail-summary').replaceChildren(
      el('span', { class: `state state-${job.state}` }, job.state),
      ` ${job.spec.kind} · priority ${job.spec.priority} · user ${job.spec.user} · attempts ${job.attempts}`,
      job.spec.batch ? ` · batch ${job.spec.batch}` : '',
      ended.includes(job.state) ? ` · exit code ${r.exit_code}${r.timed_out ? ' (timed out)' : ''}` : '',
      // A process's usage (exec and command kinds); int64 fields arrive as JSON strings.
      r.max_rss_kb ? ` · peak RSS ${(Number(r.max_rss_kb) / 1024).toFixed(1)} MiB · CPU ${r.cpu_ms || 0} ms` : '',
      job.last_error ? el('div', { class: 'error' }, job.last_error) : '');
    document.getElementById('detail-actions').replaceChildren(...this.buttons(job, true));
    document.getElementById('detail-spec').textContent = JSON.stringify(job.spec, null, 2);
    document.querySelector('#detail-transitions tbody').replaceChildren(...(job.transitions || []).map((t) =>
      el('tr', {}, el('td', {}, format_time(t.at)), el('td', { class: `state state-${t.state}` }, t.state),
         el('td', {}, `attempt ${t.attempt}`), el('td', {}, t.reason))));
    const errors = job.errors || [];
    document.getElementById('detail-errors').replaceChildren(...(errors.length
      ? errors.map((e) => el('li', {}, `attempt ${e.attempt} at ${format_time(e.at)}: ${e.error}`))
      : [el('li', { class: 'muted' }, 'none')]));
    document.getElementById('detail-output').textContent = r.output || '';
    const graph = document.getElementById('detail-graph');
    if (plan.error) graph.replaceChildren(el('p', { class: 'error' }, `no plan: ${plan.error}`));
    else graph.replaceChildren(draw_plan(plan, (other) => this.open(other)),
      plan.truncated ? el('p', { class: 'muted' }, 'the plan is truncated at its size limit') : '');
  }
}
