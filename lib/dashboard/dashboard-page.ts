import { createHash } from 'crypto';

// The page: static, no framework, no external resource. Everything from etcd is put in the DOM
// with textContent / setAttribute (never innerHTML), so an instance value renders as text; the
// Content-Security-Policy below allows only this inline style and script (by hash) and the
// same-origin event stream, as a second wall.

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d2430;background:#f6f7f9}
h1{font-size:1.2rem;margin:0 0 .3rem}
#meta,#count{color:#5b6472;margin-bottom:.6rem}
.badge{display:inline-block;padding:0 .5em;border-radius:.8em;font-size:.85em;background:#dde3ea}
.badge.ok{background:#d3f2dc;color:#0d5b24}.badge.bad{background:#fbe0de;color:#8a1c12}
h2{font-size:1rem;margin:1.2rem 0 .3rem}
table{border-collapse:collapse;background:#fff;min-width:40rem}
th,td{text-align:left;padding:.3rem .8rem;border-bottom:1px solid #e4e7eb;white-space:nowrap}
th{font-weight:600;color:#5b6472;font-size:.85em;text-transform:uppercase}
td.draining{color:#9a5b00}td.up{color:#0d5b24}
#empty,#skipped{color:#5b6472}
#bar{margin:.8rem 0}#bar>*{margin-right:.4rem}
`;

// The stream sends the whole list once (type 'snapshot'), then only changes ('changes'). Rows live
// in a Map; a frame renders at most once per animation frame: the per-service summary, the
// filter's options, and one page of PAGE rows (the rest are not in the DOM).
const SCRIPT = `
(() => {
  const $ = (id) => document.getElementById(id);
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
  const age = (ms) => { const s = Math.max(0, Math.floor(ms / 1000)); return s < 60 ? s + 's' : s < 3600 ? Math.floor(s / 60) + 'm' + (s % 60) + 's' : Math.floor(s / 3600) + 'h' + Math.floor((s % 3600) / 60) + 'm'; };
  const uid = (i) => i.key + '\\0' + i.service + '\\0' + i.id;
  const PAGE = 100;
  let rows = new Map(), order, meta = {}, skipped = [], offset = 0, page = 0, queued = false, services = '';
  const badge = (id, text, ok) => { const b = $(id); b.textContent = text; b.className = 'badge ' + (ok ? 'ok' : 'bad'); };
  const ages = () => { for (const td of document.querySelectorAll('td[data-since]')) td.textContent = (td.dataset.atStart ? '\\u2265 ' : '') + age(Date.now() + offset - Number(td.dataset.since)); };
  const queue = () => { if (!queued) { queued = true; requestAnimationFrame(render); } };
  function apply(m) {
    offset = m.now - Date.now();
    if (m.type === 'snapshot') { meta = m; rows = new Map(m.instances.map((i) => [uid(i), i])); order = undefined; skipped = m.skipped; }
    else {
      meta.live = m.live; meta.revision = m.revision; meta.error = m.error;
      for (const u of m.remove) if (rows.delete(u)) order = undefined;
      for (const i of m.upsert) { const u = uid(i); if (!rows.has(u)) order = undefined; rows.set(u, i); }
      if (m.skipped) skipped = m.skipped;
    }
    queue();
  }
  function render() {
    queued = false;
    $('prefix').textContent = meta.prefix || '';
    $('revision').textContent = meta.revision ? 'revision ' + meta.revision : '';
    badge('watch', meta.error ? 'etcd: ' + meta.error : meta.live ? 'watch live' : 'watch not live: the list may be stale', meta.live && !meta.error);
    if (!order) order = [...rows.values()].sort((a, b) => a.service < b.service ? -1 : a.service > b.service ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    const sum = new Map();
    for (const i of order) { const c = sum.get(i.service) || sum.set(i.service, { up: 0, draining: 0 }).get(i.service); c[i.status === 'draining' ? 'draining' : 'up']++; }
    const names = [...sum.keys()].join('\\n');
    if (names !== services) {
      services = names;
      const sel = $('svc'), was = sel.value;
      sel.replaceChildren(el('option', 'all services'));
      sel.firstChild.value = '';
      for (const n of sum.keys()) { const o = el('option', n); o.value = n; sel.append(o); }
      sel.value = sum.has(was) ? was : '';
    }
    const body = $('summary');
    body.replaceChildren();
    for (const [n, c] of sum) { const tr = el('tr'); tr.setAttribute('data-summary', n); tr.append(el('td', n), el('td', String(c.up)), el('td', String(c.draining)), el('td', String(c.up + c.draining))); body.append(tr); }
    const svc = $('svc').value, st = $('st').value, q = $('q').value.trim().toLowerCase();
    const shown = svc || st || q ? order.filter((i) => (!svc || i.service === svc) && (!st || i.status === st) && (!q || [i.service, i.id, i.key, i.address, i.zone, i.version].some((v) => v && v.toLowerCase().includes(q)))) : order;
    const pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.min(page, pages - 1);
    const from = page * PAGE, list = shown.slice(from, from + PAGE);
    $('count').textContent = shown.length ? (from + 1) + '-' + (from + list.length) + ' of ' + shown.length + ' instances (' + rows.size + ' in all), page ' + (page + 1) + ' of ' + pages : '';
    $('prev').disabled = page === 0; $('next').disabled = page >= pages - 1;
    const root = $('services');
    root.replaceChildren();
    $('empty').hidden = shown.length > 0;
    let table;
    list.forEach((i, n) => {
      if (n === 0 || list[n - 1].service !== i.service) {
        const section = el('section');
        section.setAttribute('data-service', i.service);
        section.append(el('h2', i.service + ' (' + (sum.get(i.service).up + sum.get(i.service).draining) + ')'));
        table = el('table');
        const head = el('tr');
        for (const h of ['id', 'address', 'status', 'zone', 'version', 'age']) head.append(el('th', h));
        table.append(head);
        section.append(table);
        root.append(section);
      }
      const tr = el('tr');
      tr.setAttribute('data-key', i.key);
      tr.append(el('td', i.id), el('td', i.address), el('td', i.status, i.status === 'draining' ? 'draining' : 'up'), el('td', i.zone || '-'), el('td', i.version || '-'));
      const a = el('td');
      a.dataset.since = String(i.firstSeenAt);
      if (i.seenAtStart) a.dataset.atStart = '1';
      tr.append(a);
      table.append(tr);
    });
    const sk = $('skipped');
    sk.replaceChildren();
    for (const k of skipped) sk.append(el('li', k.key + ': ' + k.reason));
    $('skipped-title').hidden = skipped.length === 0;
    ages();
    window.renders = (window.renders || 0) + 1;
  }
  for (const id of ['svc', 'st']) $(id).addEventListener('change', () => { page = 0; queue(); });
  $('q').addEventListener('input', () => { page = 0; queue(); });
  $('prev').addEventListener('click', () => { page--; queue(); });
  $('next').addEventListener('click', () => { page++; queue(); });
  const connect = () => {
    const events = new EventSource(location.pathname.replace(/\\/+$/, '') + '/events');
    events.onopen = () => badge('conn', 'connected', true);
    // The browser retries by itself, except after a refused answer (a server closing): then so do we.
    events.onerror = () => { badge('conn', 'reconnecting\\u2026', false); badge('watch', 'reconnecting\\u2026', false); if (events.readyState === 2) setTimeout(connect, 2000); };
    events.onmessage = (e) => apply(JSON.parse(e.data));
  };
  connect();
  setInterval(ages, 1000);
})();
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>etcd registry</title>
<style>${STYLE}</style>
</head>
<body>
<h1>etcd registry <span id="prefix"></span></h1>
<div id="meta"><span id="conn" class="badge">connecting\u2026</span> <span id="watch" class="badge"></span> <span id="revision"></span></div>
<table><thead><tr><th>service</th><th>up</th><th>draining</th><th>total</th></tr></thead><tbody id="summary"></tbody></table>
<div id="bar"><select id="svc" aria-label="service"></select><select id="st" aria-label="status"><option value="">any status</option><option>up</option><option>draining</option></select><input id="q" type="search" placeholder="search id, address, zone, version" aria-label="search" size="32"><button id="prev">&larr;</button><button id="next">&rarr;</button></div>
<div id="count"></div>
<p id="empty" hidden>No instances.</p>
<div id="services"></div>
<h2 id="skipped-title" hidden>Entries the codec could not read</h2>
<ul id="skipped"></ul>
<script>${SCRIPT}</script>
</body>
</html>
`;

/** Only this page's own style and script, and its event stream on the same origin. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `style-src ${sha256(STYLE)}`,
  `script-src ${sha256(SCRIPT)}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
