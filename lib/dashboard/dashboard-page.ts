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
// in a Map and in one sorted array kept in order by binary search (no sort of the whole list per
// change); the per-service summary is counted as changes come. A frame renders at most once per
// animation frame and touches the DOM only where something shown changed: the summary's cells,
// the filter's options when the services change, and one page of PAGE rows (the rest are not in
// the DOM), patched row by row while the page holds the same rows. The browser's work per update
// competes with the host application for the machine's cores.
/**
 * The script as sent: without indentation and without the spaces around operators and punctuation
 * outside its '...' strings (the page's size is a budget: test/e2e/dashboard.spec.ts). The script
 * has no other string or comment, and its one regular expression has no space.
 */
const compact = (source: string): string =>
  source
    .replace(/^ +/gm, '')
    .split("'")
    .map((part, n) => (n % 2 === 1 ? part : part.replace(/ *([=,;:{}()<>+\-*?&|!]) */g, '$1')))
    .join("'");

// An age is shown in seconds in its first minute, then in minutes (then hours and minutes, days and
// hours): the once-a-second tick rewrites only the rows whose shown age changed, not every row.
// The script's state: `ord` is
// the sorted array, `sum` the counts per service, `drawn`/`trs` the rows in the DOM and their <tr>s.
// A row already there keeps its place when it changes (as a sort of the Map's rows keeps it); a new
// one goes after its equals. The browser retries the stream by itself, except after a refused answer
// (a server closing): then so does the page.
const SCRIPT = compact(`
(() => {
  const $ = (id) => document.getElementById(id);
  const el = (tag, t, cls) => { const e = document.createElement(tag); if (t !== undefined) e.textContent = t; if (cls) e.className = cls; return e; };
  const text = (e, t) => { if (e.textContent !== t) e.textContent = t; };
  const age = (ms) => { const s = Math.max(0, Math.floor(ms / 1000)); return s < 60 ? s + 's' : s < 3600 ? Math.floor(s / 60) + 'm' : s < 86400 ? Math.floor(s / 3600) + 'h' + Math.floor((s % 3600) / 60) + 'm' : Math.floor(s / 86400) + 'd' + Math.floor((s % 86400) / 3600) + 'h'; };
  const uid = (i) => i.key + '\\0' + i.service + '\\0' + i.id;
  const cmp = (a, b) => a.service < b.service ? -1 : a.service > b.service ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  const PAGE = 100;
  let rows = new Map(), ord = [], sum = new Map(), names, cells, meta = {}, skipped = [], skShown, offset = 0, page = 0, queued = false, drawn = [], trs = [], heads = new Map();
  const badge = (id, t, ok) => { const b = $(id); text(b, t); b.className = 'badge ' + (ok ? 'ok' : 'bad'); };
  const ages = () => { for (const td of document.querySelectorAll('td[data-since]')) text(td, (td.dataset.atStart ? '\\u2265 ' : '') + age(Date.now() + offset - Number(td.dataset.since))); };
  const queue = () => { if (!queued) { queued = true; requestAnimationFrame(render); } };
  const count = (i, d) => {
    const c = sum.get(i.service) || (names = 0, sum.set(i.service, { up: 0, draining: 0 }).get(i.service));
    c[i.status === 'draining' ? 'draining' : 'up'] += d;
    if (c.up + c.draining === 0) { sum.delete(i.service); names = 0; }
  };
  const at = (i, after) => { let lo = 0, hi = ord.length; while (lo < hi) { const m = (lo + hi) >> 1, c = cmp(ord[m], i); if (c < 0 || (after && !c)) lo = m + 1; else hi = m; } return lo; };
  const find = (i) => { let n = at(i); while (n < ord.length && ord[n] !== i) n++; return n; };
  function apply(m) {
    offset = m.now - Date.now();
    if (m.type === 'snapshot') {
      meta = m; rows = new Map(m.instances.map((i) => [uid(i), i])); skipped = m.skipped;
      ord = [...rows.values()].sort(cmp); sum = new Map(); names = 0;
      for (const i of ord) count(i, 1);
    } else {
      meta.live = m.live; meta.revision = m.revision; meta.error = m.error;
      for (const u of m.remove) { const o = rows.get(u); if (o) { rows.delete(u); ord.splice(find(o), 1); count(o, -1); } }
      for (const i of m.upsert) { const u = uid(i), o = rows.get(u); if (o) { ord[find(o)] = i; count(o, -1); } else ord.splice(at(i, 1), 0, i); rows.set(u, i); count(i, 1); }
      if (m.skipped) skipped = m.skipped;
    }
    queue();
  }
  const total = (n) => { const c = sum.get(n); return c.up + c.draining; };
  function summary() {
    if (!names) {
      names = [...sum.keys()].sort();
      const sel = $('svc'), was = sel.value, body = $('summary');
      sel.replaceChildren(el('option', 'all services'));
      sel.firstChild.value = '';
      for (const n of names) { const o = el('option', n); o.value = n; sel.append(o); }
      sel.value = sum.has(was) ? was : '';
      body.replaceChildren();
      cells = new Map();
      for (const n of names) { const tr = el('tr'), tds = [el('td'), el('td'), el('td')]; tr.setAttribute('data-summary', n); tr.append(el('td', n), ...tds); body.append(tr); cells.set(n, tds); }
    }
    for (const n of names) { const c = sum.get(n), t = cells.get(n); text(t[0], '' + c.up); text(t[1], '' + c.draining); text(t[2], '' + total(n)); }
  }
  const row = (i) => {
    const tr = el('tr'), a = el('td');
    tr.setAttribute('data-key', i.key);
    a.dataset.since = i.firstSeenAt;
    if (i.seenAtStart) a.dataset.atStart = '1';
    tr.append(el('td', i.id), el('td', i.address), el('td', i.status, i.status === 'draining' ? 'draining' : 'up'), el('td', i.zone || '-'), el('td', i.version || '-'), a);
    return tr;
  };
  function draw(list) {
    if (list.length === drawn.length && list.every((i, n) => i === drawn[n] || uid(i) === uid(drawn[n]))) {
      list.forEach((i, n) => { if (i !== drawn[n]) trs[n].replaceWith((trs[n] = row(i))); });
    } else {
      const root = $('services');
      root.replaceChildren();
      trs = []; heads = new Map();
      let table;
      list.forEach((i, n) => {
        if (!n || list[n - 1].service !== i.service) {
          const section = el('section'), head = el('tr'), h2 = el('h2');
          section.setAttribute('data-service', i.service);
          heads.set(i.service, h2);
          table = el('table');
          for (const h of ['id', 'address', 'status', 'zone', 'version', 'age']) head.append(el('th', h));
          table.append(head);
          section.append(h2, table);
          root.append(section);
        }
        table.append(trs[n] = row(i));
      });
    }
    drawn = list;
    for (const [n, h2] of heads) text(h2, n + ' (' + total(n) + ')');
  }
  function render() {
    queued = false;
    text($('prefix'), meta.prefix || '');
    text($('revision'), meta.revision ? 'revision ' + meta.revision : '');
    badge('watch', meta.error ? 'etcd: ' + meta.error : meta.live ? 'watch live' : 'watch not live: the list may be stale', meta.live && !meta.error);
    summary();
    const svc = $('svc').value, st = $('st').value, q = $('q').value.trim().toLowerCase();
    const shown = svc || st || q ? ord.filter((i) => (!svc || i.service === svc) && (!st || i.status === st) && (!q || [i.service, i.id, i.key, i.address, i.zone, i.version].some((v) => v && v.toLowerCase().includes(q)))) : ord;
    const pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.min(page, pages - 1);
    const from = page * PAGE, list = shown.slice(from, from + PAGE);
    text($('count'), shown.length ? (from + 1) + '-' + (from + list.length) + ' of ' + shown.length + ' instances (' + rows.size + ' in all), page ' + (page + 1) + ' of ' + pages : '');
    $('prev').disabled = page === 0; $('next').disabled = page >= pages - 1;
    $('empty').hidden = shown.length > 0;
    draw(list);
    if (skipped !== skShown) {
      skShown = skipped;
      $('skipped').replaceChildren(...skipped.map((k) => el('li', k.key + ': ' + k.reason)));
      $('skipped-title').hidden = !skipped.length;
    }
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
    events.onerror = () => { badge('conn', 'reconnecting\\u2026', false); badge('watch', 'reconnecting\\u2026', false); if (events.readyState === 2) setTimeout(connect, 2000); };
    events.onmessage = (e) => apply(JSON.parse(e.data));
  };
  connect();
  setInterval(ages, 1000);
})();
`);

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
