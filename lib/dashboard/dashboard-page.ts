import { createHash } from 'crypto';

// The page: static, no framework, no external resource. Everything from etcd is put in the DOM
// with textContent / setAttribute (never innerHTML), so an instance value renders as text; the
// Content-Security-Policy below allows only this inline style and script (by hash) and the
// same-origin event stream, as a second wall.

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d2430;background:#f6f7f9}
h1{font-size:1.2rem;margin:0 0 .3rem}
#meta{color:#5b6472;margin-bottom:1rem}
.badge{display:inline-block;padding:0 .5em;border-radius:.8em;font-size:.85em;background:#dde3ea}
.badge.ok{background:#d3f2dc;color:#0d5b24}.badge.bad{background:#fbe0de;color:#8a1c12}
h2{font-size:1rem;margin:1.2rem 0 .3rem}
table{border-collapse:collapse;background:#fff;min-width:40rem}
th,td{text-align:left;padding:.3rem .8rem;border-bottom:1px solid #e4e7eb;white-space:nowrap}
th{font-weight:600;color:#5b6472;font-size:.85em;text-transform:uppercase}
td.draining{color:#9a5b00}td.up{color:#0d5b24}
#empty,#skipped{color:#5b6472}
`;

const SCRIPT = `
(() => {
  const $ = (id) => document.getElementById(id);
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
  const age = (ms) => { const s = Math.max(0, Math.floor(ms / 1000)); return s < 60 ? s + 's' : s < 3600 ? Math.floor(s / 60) + 'm' + (s % 60) + 's' : Math.floor(s / 3600) + 'h' + Math.floor((s % 3600) / 60) + 'm'; };
  let snapshot, offset = 0;
  const badge = (text, ok) => { const b = $('conn'); b.textContent = text; b.className = 'badge ' + (ok ? 'ok' : 'bad'); };
  const ages = () => { for (const td of document.querySelectorAll('td[data-since]')) td.textContent = (td.dataset.atStart ? '\\u2265 ' : '') + age(Date.now() + offset - Number(td.dataset.since)); };
  function render(s) {
    $('prefix').textContent = s.prefix;
    $('revision').textContent = s.revision ? 'revision ' + s.revision : '';
    $('watch').textContent = s.error ? 'etcd: ' + s.error : s.live ? 'watch live' : 'watch not live: the list may be stale';
    $('watch').className = 'badge ' + (s.live && !s.error ? 'ok' : 'bad');
    const byService = new Map();
    for (const i of s.instances) { if (!byService.has(i.service)) byService.set(i.service, []); byService.get(i.service).push(i); }
    const root = $('services');
    root.replaceChildren();
    $('empty').hidden = s.instances.length > 0;
    for (const [name, list] of byService) {
      const section = el('section');
      section.setAttribute('data-service', name);
      section.append(el('h2', name + ' (' + list.length + ')'));
      const table = el('table');
      const head = el('tr');
      for (const h of ['id', 'address', 'status', 'zone', 'version', 'age']) head.append(el('th', h));
      table.append(head);
      for (const i of list) {
        const tr = el('tr');
        tr.setAttribute('data-key', i.key);
        tr.append(el('td', i.id), el('td', i.address), el('td', i.status, i.status === 'draining' ? 'draining' : 'up'), el('td', i.zone || '-'), el('td', i.version || '-'));
        const a = el('td');
        a.dataset.since = String(i.firstSeenAt);
        if (i.seenAtStart) a.dataset.atStart = '1';
        tr.append(a);
        table.append(tr);
      }
      section.append(table);
      root.append(section);
    }
    const skipped = $('skipped');
    skipped.replaceChildren();
    for (const k of s.skipped) skipped.append(el('li', k.key + ': ' + k.reason));
    $('skipped-title').hidden = s.skipped.length === 0;
    ages();
  }
  const events = new EventSource(location.pathname.replace(/\\/+$/, '') + '/events');
  events.onopen = () => badge('connected', true);
  events.onerror = () => badge('reconnecting\\u2026', false);
  events.onmessage = (e) => { snapshot = JSON.parse(e.data); offset = snapshot.now - Date.now(); render(snapshot); };
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
