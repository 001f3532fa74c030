// secretgate triage page. Plain DOM code, no libraries, nothing loaded from anywhere else.
// Every value from the server reaches the page through textContent or an attribute set with
// setAttribute, never through innerHTML, so a file name holding markup shows as text.
'use strict';

const session = { user: null, role: null, csrf: null };
const REASONS = [
  ['false_positive', 'False positive'], ['used_in_tests', 'Used in tests'],
  ['wont_fix', "Won't fix"], ['revoked', 'Revoked'],
];

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function toast(message, error) {
  const t = el('div', { class: error ? 'error' : '' }, message);
  document.getElementById('toast').append(t);
  setTimeout(() => t.remove(), 6000);
}

async function api(method, path, body) {
  const opts = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  if (method !== 'GET' && session.csrf) opts.headers['X-CSRF-Token'] = session.csrf;
  const r = await fetch(path, opts);
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
  if (r.status === 401 && session.user && path !== '/session') {
    session.user = null;
    render();
  }
  return { status: r.status, ok: r.ok, data, link: r.headers.get('Link') };
}

function links(header) {
  const out = {};
  for (const part of (header || '').split(',')) {
    const m = part.match(/<([^>]+)>;\s*rel="([a-z]+)"/);
    if (m) out[m[2]] = m[1];
  }
  return out;
}

function navigate(url) {
  history.pushState(null, '', url);
  render();
}

document.addEventListener('click', (ev) => {
  const a = ev.target.closest('a');
  if (!a || a.origin !== location.origin || ev.ctrlKey || ev.metaKey || a.target) return;
  ev.preventDefault();
  navigate(a.pathname + a.search);
});
window.addEventListener('popstate', () => render());

function alertPath(full, n) { return '/' + full + '/security/secret-scanning/' + n; }
function repoOf(a, fallback) { return (a.repository && a.repository.full_name) || fallback; }
function user(u) { return u && u.login ? u.login : '—'; }
function stateText(a) { return a.state + (a.resolution ? ' (' + a.resolution + ')' : ''); }
function message(r) { return (r.data && r.data.message) || ('HTTP ' + r.status); }

function page(title, ...content) {
  const main = document.getElementById('app');
  main.replaceChildren(el('h1', {}, title), ...content.flat().filter((c) => c !== null && c !== undefined));
  document.title = title + ' · secretgate';
}

function setNav(active) {
  document.getElementById('nav').hidden = !session.user;
  document.getElementById('signout').hidden = !session.user;
  document.getElementById('who').textContent = session.user ? session.user + ' (' + session.role + ')' : '';
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.nav === active);
}

// ---- sign-in -------------------------------------------------------------------------------

function signInView() {
  setNav(null);
  const input = el('input', { id: 'token', type: 'password', autocomplete: 'off', placeholder: 'sgt_…', required: true });
  const form = el('form', { class: 'signin card', onsubmit: async (ev) => {
    ev.preventDefault();
    const r = await api('POST', '/session', { token: input.value.trim() });
    input.value = '';
    if (!r.ok) { toast('Sign-in failed: ' + message(r), true); return; }
    session.user = r.data.login; session.role = r.data.secretgate_role; session.csrf = r.data.csrf_token;
    render();
  } },
  el('label', { for: 'token' }, 'API token (from ', el('code', {}, 'secretgate tokens create'), ')'),
  input, el('p', {}, el('button', { id: 'signin', class: 'primary', type: 'submit' }, 'Sign in')),
  el('p', { class: 'muted' }, 'The token is exchanged for a session cookie; the page never stores it.'));
  page('Sign in', form);
}

// ---- alert list ----------------------------------------------------------------------------

async function alertsView(fixedRepo) {
  setNav('alerts');
  const q = new URLSearchParams(location.search);
  const state = q.get('state') || 'open';
  const repo = fixedRepo || q.get('repo') || '';
  const type = q.get('secret_type') || '';
  const validity = q.get('validity') || '';
  const pageNo = q.get('page') || '1';
  const params = new URLSearchParams({ per_page: '50', page: pageNo });
  if (state !== 'all') params.set('state', state);
  if (type) params.set('secret_type', type);
  if (validity) params.set('validity', validity);
  const base = repo ? '/api/v3/repos/' + repo + '/secret-scanning/alerts' : '/api/v3/enterprises/all/secret-scanning/alerts';
  const [list, metrics] = await Promise.all([api('GET', base + '?' + params), api('GET', '/api/v3/secretgate/metrics')]);
  if (!list.ok) { page('Alerts', el('p', { class: 'error' }, message(list))); return; }
  const m = metrics.ok ? metrics.data : { open_by_secret_type: [], open_by_repository: [] };

  const setFilter = (name, value) => {
    const next = new URLSearchParams(location.search);
    if (value) next.set(name, value); else next.delete(name);
    next.delete('page');
    navigate(location.pathname + '?' + next);
  };
  const select = (id, name, current, options) => el('select', { id, 'aria-label': name, onchange: (e) => setFilter(name, e.target.value) },
    options.map(([v, label]) => el('option', { value: v, selected: v === current }, label)));
  const types = new Set(m.open_by_secret_type.map((t) => t.secret_type));
  if (type) types.add(type);
  const repos = new Set(m.open_by_repository.map((r) => r.repository));
  if (repo) repos.add(repo);
  const filters = el('div', { class: 'filters' },
    'State', select('f-state', 'state', state, [['open', 'Open'], ['resolved', 'Resolved'], ['all', 'All']]),
    'Type', select('f-type', 'secret_type', type, [['', 'All types'], ...[...types].sort().map((t) => [t, t])]),
    fixedRepo ? null : ['Repository', select('f-repo', 'repo', repo, [['', 'All repositories'], ...[...repos].sort().map((r) => [r, r])])],
    'Validity', select('f-validity', 'validity', validity, [['', 'Any'], ['active', 'Active'], ['inactive', 'Inactive'], ['unknown', 'Unknown']]));
  const counts = el('p', { class: 'counts', id: 'counts' },
    (metrics.ok ? m.open_alerts + ' open · ' + m.resolved_alerts + ' resolved in all repositories · ' : '') +
    list.data.length + ' shown');

  const picks = [];
  const rows = list.data.map((a) => {
    const full = repoOf(a, repo);
    const box = el('input', { type: 'checkbox', class: 'pick', 'aria-label': 'select alert ' + full + '#' + a.number });
    picks.push({ box, full, number: a.number, open: a.state === 'open' });
    const loc = a.first_location_detected;
    return el('tr', { 'data-alert': full + '#' + a.number },
      el('td', {}, box), el('td', {}, full),
      el('td', {}, el('a', { href: alertPath(full, a.number) }, '#' + a.number)),
      el('td', {}, a.secret_type_display_name, el('br'), el('code', {}, a.secret_type)),
      el('td', {}, el('code', {}, a.secret_redacted)),
      el('td', { class: 'mono loc' }, loc ? loc.path + ':' + loc.start_line : '—'),
      el('td', { class: 'state-' + a.state }, stateText(a)),
      el('td', {}, a.validity), el('td', {}, a.created_at));
  });
  const all = el('input', { type: 'checkbox', id: 'select-all', 'aria-label': 'select all',
    onchange: (e) => picks.forEach((p) => { p.box.checked = e.target.checked; }) });
  const table = el('table', { id: 'alerts' },
    el('thead', {}, el('tr', {}, el('th', {}, all), ['Repository', '#', 'Secret type', 'Secret', 'Location', 'State', 'Validity', 'Created'].map((h) => el('th', {}, h)))),
    el('tbody', {}, rows));

  const reason = el('select', { id: 'bulk-reason', 'aria-label': 'close reason' }, REASONS.map(([v, l]) => el('option', { value: v }, l)));
  const comment = el('input', { id: 'bulk-comment', 'aria-label': 'comment', placeholder: 'Comment (kept in each timeline)', maxlength: '16384' });
  const canTriage = session.role === 'triage' || session.role === 'admin';
  const bulk = !canTriage ? null : el('div', { class: 'bulk' }, 'Close selected as', reason, comment,
    el('button', { id: 'bulk-close', class: 'primary', type: 'button', onclick: async () => {
      const chosen = picks.filter((p) => p.box.checked && p.open);
      if (!chosen.length) { toast('Select open alerts first', true); return; }
      let done = 0; const failed = [];
      for (const p of chosen) {
        const r = await api('PATCH', '/api/v3/repos/' + p.full + '/secret-scanning/alerts/' + p.number,
          { state: 'resolved', resolution: reason.value, resolution_comment: comment.value || null });
        if (r.ok) done++; else failed.push(p.full + '#' + p.number + ': ' + message(r));
      }
      toast('Closed ' + done + ' alert' + (done === 1 ? '' : 's') + (failed.length ? '; failed: ' + failed.join('; ') : ''), failed.length > 0);
      render();
    } }, 'Close selected'));

  const nav = links(list.link);
  const pager = el('div', { class: 'pager' },
    nav.prev ? el('a', { href: location.pathname + '?' + withPage(q, Number(pageNo) - 1) }, '← Previous') : null,
    nav.next ? el('a', { href: location.pathname + '?' + withPage(q, Number(pageNo) + 1), id: 'next-page' }, 'Next →') : null);
  page(fixedRepo ? 'Alerts of ' + fixedRepo : 'Secret scanning alerts', filters, counts, bulk, table, pager);
}

function withPage(q, n) {
  const next = new URLSearchParams(q);
  next.set('page', String(n));
  return next.toString();
}

// ---- one alert -----------------------------------------------------------------------------

async function alertView(full, n) {
  setNav('alerts');
  const path = '/api/v3/repos/' + full + '/secret-scanning/alerts/' + n;
  const [r, locs] = await Promise.all([api('GET', path), api('GET', path + '/locations?per_page=100')]);
  if (!r.ok) { page('Alert ' + full + '#' + n, el('p', {}, message(r))); return; }
  const a = r.data;
  const facts = el('dl', { id: 'facts' },
    el('dt', {}, 'Repository'), el('dd', {}, full),
    el('dt', {}, 'Secret type'), el('dd', {}, a.secret_type_display_name + ' ', el('code', {}, a.secret_type)),
    el('dt', {}, 'Secret'), el('dd', {}, el('code', { id: 'secret' }, a.secret_redacted)),
    el('dt', {}, 'State'), el('dd', { id: 'state', class: 'state-' + a.state }, stateText(a)),
    a.resolved_by ? [el('dt', {}, 'Resolved by'), el('dd', {}, user(a.resolved_by) + ' at ' + a.resolved_at)] : null,
    a.resolution_comment ? [el('dt', {}, 'Comment'), el('dd', { id: 'resolution-comment' }, a.resolution_comment)] : null,
    el('dt', {}, 'Validity'), el('dd', { id: 'validity' }, a.validity),
    el('dt', {}, 'Created'), el('dd', {}, a.created_at),
    a.push_protection_bypassed ? [el('dt', {}, 'Push protection'), el('dd', { id: 'bypassed' },
      'bypassed by ' + user(a.push_protection_bypassed_by) + ' at ' + a.push_protection_bypassed_at +
      (a.push_protection_bypass_request_reviewer ? ', request approved by ' + user(a.push_protection_bypass_request_reviewer) : ''))] : null);
  const locRows = (locs.ok ? locs.data : []).map((l) => el('tr', {},
    el('td', { class: 'mono path' }, l.details.path), el('td', {}, l.details.start_line + ':' + l.details.start_column),
    el('td', { class: 'mono' }, (l.details.commit_sha || '—').slice(0, 12)), el('td', { class: 'mono' }, l.details.ref || '—'),
    el('td', {}, l.details.pushed_by || '—')));
  const locations = el('table', { id: 'locations' }, el('thead', {}, el('tr', {}, ['Path', 'Line:column', 'Commit', 'Ref', 'Pushed by'].map((h) => el('th', {}, h)))), el('tbody', {}, locRows));
  const timeline = el('ul', { class: 'timeline', id: 'timeline' }, (a.timeline || []).map((e) => el('li', {},
    el('span', { class: 'muted' }, e.at), ' ', el('strong', {}, e.event), e.detail ? ' (' + e.detail + ')' : '',
    ' by ', e.actor || '—', e.comment ? [': ', el('q', {}, e.comment)] : null)));
  let action = null;
  if (session.role === 'triage' || session.role === 'admin') {
    if (a.state === 'open') {
      const reason = el('select', { id: 'close-reason', 'aria-label': 'close as' }, REASONS.map(([v, l]) => el('option', { value: v }, l)));
      const comment = el('textarea', { id: 'close-comment', 'aria-label': 'comment', maxlength: '16384', placeholder: 'Comment (optional; kept in the timeline and cannot be changed)' });
      action = el('div', { class: 'card' }, el('h2', {}, 'Close as'), el('div', { class: 'actions' }, reason), comment,
        el('p', {}, el('button', { id: 'close-alert', class: 'primary', type: 'button', onclick: async () => {
          const res = await api('PATCH', path, { state: 'resolved', resolution: reason.value, resolution_comment: comment.value || null });
          if (!res.ok) { toast('Not closed: ' + message(res), true); return; }
          toast('Alert #' + n + ' closed as ' + reason.value);
          render();
        } }, 'Close alert')));
    } else {
      const comment = el('textarea', { id: 'reopen-comment', 'aria-label': 'comment', maxlength: '16384', placeholder: 'Why reopen (optional)' });
      action = el('div', { class: 'card' }, el('h2', {}, 'Reopen'), comment,
        el('p', {}, el('button', { id: 'reopen-alert', type: 'button', onclick: async () => {
          const res = await api('PATCH', path, { state: 'open', resolution_comment: comment.value || null });
          if (!res.ok) { toast('Not reopened: ' + message(res), true); return; }
          toast('Alert #' + n + ' reopened');
          render();
        } }, 'Reopen alert')));
    }
  }
  page('Alert #' + n + ' in ' + full, el('p', {}, el('a', { href: '/?repo=' + encodeURIComponent(full) }, '← alerts')),
    el('div', { class: 'card' }, facts), action, el('h2', {}, 'Locations'), locations, el('h2', {}, 'Timeline'), timeline);
}

// ---- bypass requests -------------------------------------------------------------------------

function bypassCard(b) {
  const full = b.repository.full_name;
  const canReview = (session.role === 'triage' || session.role === 'admin') && b.status === 'pending' && b.requester.actor_name !== session.user;
  const comment = el('input', { class: 'review-comment', 'aria-label': 'review comment', placeholder: 'Comment', maxlength: '16384' });
  const review = (decision) => async () => {
    const r = await api('PATCH', '/api/v3/repos/' + full + '/bypass-responses/secret-scanning/' + b.number, { status: decision, message: comment.value || null });
    if (!r.ok) { toast('Not reviewed: ' + message(r), true); return; }
    toast('Bypass request #' + b.number + ' ' + r.data.status);
    render();
  };
  return el('div', { class: 'card bypass', 'data-request': full + '#' + b.number },
    el('h2', {}, el('a', { href: '/' + full + '/security/secret-scanning/bypass-requests/' + b.number }, 'Bypass request #' + b.number), ' in ' + full + ' ', el('span', { class: 'badge status' }, b.status)),
    el('dl', {},
      el('dt', {}, 'Requested by'), el('dd', {}, b.requester.actor_name + ' at ' + b.created_at),
      el('dt', {}, 'Why'), el('dd', { class: 'why' }, b.requester_comment),
      el('dt', {}, 'Alerts'), el('dd', {}, b.data.map((d) => [el('a', { href: alertPath(full, d.alert_number) }, '#' + d.alert_number), ' ', el('code', {}, d.path || ''), ' '])),
      el('dt', {}, 'Refs'), el('dd', { class: 'mono' }, b.refs.join(', ')),
      el('dt', {}, 'Expires'), el('dd', {}, b.expires_at),
      b.responses.length ? [el('dt', {}, 'Review'), el('dd', {}, b.responses[0].reviewer.actor_name + ': ' + b.responses[0].status +
        (b.responses[0].message ? ' — ' + b.responses[0].message : '') + (b.valid_until ? ' (valid until ' + b.valid_until + ')' : ''))] : null),
    canReview ? el('div', { class: 'actions' }, comment,
      el('button', { class: 'primary approve', type: 'button', onclick: review('approve') }, 'Approve'),
      el('button', { class: 'danger deny', type: 'button', onclick: review('reject') }, 'Deny')) : null);
}

async function bypassListView() {
  setNav('bypass');
  const q = new URLSearchParams(location.search);
  const status = q.get('status') || 'pending';
  const r = await api('GET', '/api/v3/enterprises/all/bypass-requests/secret-scanning?status=' + encodeURIComponent(status));
  const select = el('select', { id: 'f-status', 'aria-label': 'status', onchange: (e) => navigate('/bypass-requests?status=' + e.target.value) },
    ['pending', 'approved', 'denied', 'expired', 'all'].map((s) => el('option', { value: s, selected: s === status }, s)));
  if (!r.ok) { page('Bypass requests', el('p', {}, message(r))); return; }
  page('Bypass requests', el('div', { class: 'filters' }, 'Status', select),
    r.data.length ? r.data.map(bypassCard) : el('p', { class: 'muted' }, 'No ' + status + ' requests.'));
}

async function bypassView(full, n) {
  setNav('bypass');
  const r = await api('GET', '/api/v3/repos/' + full + '/bypass-requests/secret-scanning/' + n);
  if (!r.ok) { page('Bypass request #' + n, el('p', {}, message(r))); return; }
  page('Bypass request #' + n + ' in ' + full, bypassCard(r.data));
}

// ---- metrics ---------------------------------------------------------------------------------

async function metricsView() {
  setNav('metrics');
  const r = await api('GET', '/api/v3/secretgate/metrics');
  if (!r.ok) { page('Metrics', el('p', {}, message(r))); return; }
  const m = r.data;
  const bar = (n, max, cls) => { const b = el('span', { class: 'bar ' + (cls || '') }); b.style.width = (max ? Math.round(200 * n / max) : 0) + 'px'; return b; };
  const countTable = (id, rows, key) => {
    const max = Math.max(0, ...rows.map((x) => x.open));
    return el('table', { id }, el('thead', {}, el('tr', {}, el('th', {}, key === 'secret_type' ? 'Secret type' : 'Repository'), el('th', {}, 'Open'))),
      el('tbody', {}, rows.map((x) => el('tr', {}, el('td', {}, x[key]), el('td', {}, bar(x.open, max), ' ', String(x.open))))));
  };
  const days = m.pushes_by_day;
  const maxDay = Math.max(0, ...days.map((d) => d.pushes_blocked + d.pushes_bypassed));
  const pushes = el('table', { id: 'pushes' }, el('thead', {}, el('tr', {}, ['Day', 'Blocked', 'Bypassed', 'false_positive', 'used_in_tests', 'will_fix_later', ''].map((h) => el('th', {}, h)))),
    el('tbody', {}, days.map((d) => el('tr', {}, el('td', {}, d.day), el('td', {}, String(d.pushes_blocked)), el('td', {}, String(d.pushes_bypassed)),
      el('td', {}, String(d.bypassed_by_reason.false_positive)), el('td', {}, String(d.bypassed_by_reason.used_in_tests)),
      el('td', {}, String(d.bypassed_by_reason.will_fix_later)), el('td', {}, bar(d.pushes_blocked, maxDay, 'blocked'), bar(d.pushes_bypassed, maxDay, 'bypassed'))))));
  const br = m.bypass_requests;
  page('Metrics',
    el('p', { class: 'counts' }, m.open_alerts + ' open alerts, ' + m.resolved_alerts + ' resolved; bypass requests: ' +
      br.pending + ' pending, ' + br.approved + ' approved, ' + br.denied + ' denied, ' + br.expired + ' expired'),
    el('h2', {}, 'Open alerts by secret type'), countTable('by-type', m.open_by_secret_type, 'secret_type'),
    el('h2', {}, 'Open alerts by repository'), countTable('by-repo', m.open_by_repository, 'repository'),
    el('h2', {}, 'Pushes with new secrets: blocked vs bypassed, by reason'), pushes,
    el('p', { class: 'muted' }, 'Blocked: pushes that brought a new secret location and were not bypassed.'));
}

// ---- routing ---------------------------------------------------------------------------------

async function render() {
  if (!session.user) { signInView(); return; }
  const p = location.pathname;
  let m;
  if ((m = p.match(/^\/([^/]+\/[^/]+)\/security\/secret-scanning\/bypass-requests\/(\d+)$/))) return bypassView(m[1], m[2]);
  if ((m = p.match(/^\/([^/]+\/[^/]+)\/security\/secret-scanning\/(\d+)$/))) return alertView(m[1], m[2]);
  if ((m = p.match(/^\/([^/]+\/[^/]+)\/security\/secret-scanning\/?$/))) return alertsView(m[1]);
  if (p === '/bypass-requests') return bypassListView();
  if (p === '/metrics') return metricsView();
  return alertsView('');
}

document.getElementById('signout').addEventListener('click', async () => {
  await api('DELETE', '/session');
  session.user = null; session.csrf = null;
  render();
});

(async () => {
  const r = await api('GET', '/session');
  if (r.ok) { session.user = r.data.login; session.role = r.data.secretgate_role; session.csrf = r.data.csrf_token; }
  render();
})();
