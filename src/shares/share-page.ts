import { randomBytes } from 'node:crypto';

/**
 * The public page behind a share URL (`/s/<token>`). It is the same static document for every token: it carries no
 * data and not even the token, which its script reads from the address bar. On load it asks for the link's state
 * (a plain GET, which uses no view); only a click on "View transcript" POSTs for the transcript, so link previews
 * and scanners never use a view. Everything shown comes from JSON and is put in the page with textContent.
 */
export interface SharePage {
  html: string;
  headers: Record<string, string>;
}

export function renderSharePage(): SharePage {
  const nonce = randomBytes(16).toString('base64');
  return {
    html: PAGE.replaceAll('{{nonce}}', nonce),
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': [
        "default-src 'none'",
        `script-src 'nonce-${nonce}'`,
        `style-src 'nonce-${nonce}'`,
        "connect-src 'self'",
        'img-src data:',
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join('; '),
      ...PUBLIC_SHARE_HEADERS,
      'X-Frame-Options': 'DENY',
    },
  };
}

/** On every public share response, page and JSON alike. */
export const PUBLIC_SHARE_HEADERS: Record<string, string> = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Robots-Tag': 'noindex, nofollow',
  'X-Content-Type-Options': 'nosniff',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>Shared agent transcript · Arbiter</title>
<style nonce="{{nonce}}">
  :root { color-scheme: light dark; --fg: #1d232b; --muted: #5d6773; --bg: #f6f7f9; --card: #fff; --line: #dde1e6;
          --allow: #1a7f37; --block: #c62828; --accent: #2f5fd0; }
  @media (prefers-color-scheme: dark) {
    :root { --fg: #e4e7eb; --muted: #9aa4b1; --bg: #14171b; --card: #1c2026; --line: #2d333b; --allow: #4cc26b; --block: #ff6b6b; --accent: #7aa2ff; }
  }
  * { box-sizing: border-box; }
  [hidden] { display: none !important; }
  body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  main { max-width: 860px; margin: 0 auto; padding: 32px 20px 64px; }
  h1 { font-size: 1.4rem; margin: 0 0 4px; }
  .brand { color: var(--muted); font-size: .85rem; letter-spacing: .04em; text-transform: uppercase; margin: 0 0 20px; }
  .card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px; margin: 16px 0; }
  .muted { color: var(--muted); }
  .state { font-weight: 600; }
  button { font: inherit; font-weight: 600; color: #fff; background: var(--accent); border: 0; border-radius: 8px; padding: 10px 18px; cursor: pointer; }
  button:disabled { opacity: .6; cursor: progress; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
  dt { color: var(--muted); }
  dd { margin: 0; overflow-wrap: anywhere; }
  ol { list-style: none; padding: 0; margin: 0; }
  .event { background: var(--card); border: 1px solid var(--line); border-left: 4px solid var(--line); border-radius: 8px; padding: 12px 16px; margin: 10px 0; }
  .event.allow { border-left-color: var(--allow); }
  .event.block { border-left-color: var(--block); }
  .head { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: baseline; }
  .tool { font-weight: 600; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
  .badge { font-size: .78rem; font-weight: 700; text-transform: uppercase; letter-spacing: .03em; }
  .badge.allow { color: var(--allow); }
  .badge.block { color: var(--block); }
  .small { font-size: .85rem; }
  pre { margin: 10px 0 0; padding: 10px 12px; background: var(--bg); border-radius: 6px; overflow: auto; max-height: 360px;
        font: 12.5px/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
</style>
</head>
<body>
<main>
  <p class="brand">Arbiter</p>
  <h1>Shared agent transcript</h1>
  <section class="card" aria-live="polite">
    <p id="status" class="state">Checking this link…</p>
    <p id="details" class="muted small" hidden></p>
    <div id="actions" hidden>
      <button id="view" type="button">View transcript</button>
      <p class="muted small">Opening the transcript uses one view of this link.</p>
    </div>
  </section>
  <section id="transcript" hidden>
    <section class="card"><dl id="meta"></dl></section>
    <p id="truncated" class="muted small" hidden>Only the first events of this session are shown.</p>
    <ol id="events"></ol>
  </section>
  <noscript><p>This page needs JavaScript to show the transcript.</p></noscript>
</main>
<script nonce="{{nonce}}">
(function () {
  'use strict';
  // <prefix>/s/<token>[/]: the API sits under the same prefix, so the page also works behind a path-mapping proxy.
  var where = /^(.*)\\/s\\/([^/]+)\\/?$/.exec(location.pathname);
  var api = where ? where[1] + '/api/public/shares/' + where[2] : '';
  var MESSAGES = {
    valid: 'This link is valid.',
    expired: 'This link has expired.',
    exhausted: 'This link has no views left.',
    view_limit_reached: 'This link has no views left.',
    revoked: 'This link has been revoked.',
    transcript_deleted: 'This session is older than its retention period: its transcript was deleted.',
    not_found: 'This link does not exist.',
    rate_limited: 'Too many requests from your address. Please try again in a minute.'
  };
  var DECISIONS = { allow: 'allow', block: 'block' };
  // What the agent did with a verdict (its ack): a transcript never shows an action as acted on that was not.
  var ACKS = {
    received: 'Agent: received and acted on',
    discarded: 'Agent: discarded (it came after the caller gave up; nothing was acted on)',
    none: 'Agent: not acknowledged',
  };

  function byId(id) { return document.getElementById(id); }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function when(iso) { return iso ? String(iso).replace('T', ' ').replace(/\\.\\d+Z$/, ' UTC').replace(/Z$/, ' UTC') : ''; }
  function say(text) { byId('status').textContent = text; }

  async function call(method) {
    var res = await fetch(api + (method === 'POST' ? '/views' : ''), {
      method: method, cache: 'no-store', credentials: 'omit', headers: { accept: 'application/json' }
    });
    var body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    return { ok: res.ok, body: body };
  }
  function failure(body) {
    var code = body && body.error && body.error.code;
    return MESSAGES[code] || 'Something went wrong. Please try again later.';
  }

  function showState(s) {
    say(MESSAGES[s.state] || s.state);
    var parts = ['Expires ' + when(s.expires_at)];
    if (s.remaining_views !== null && s.remaining_views !== undefined) {
      parts.push(s.remaining_views + (s.remaining_views === 1 ? ' view left' : ' views left'));
    }
    byId('details').textContent = parts.join(' · ');
    byId('details').hidden = false;
    byId('actions').hidden = s.state !== 'valid';
  }

  function row(list, label, value) {
    list.appendChild(el('dt', null, label));
    list.appendChild(el('dd', null, value === null || value === undefined || value === '' ? '—' : value));
  }

  function showTranscript(t) {
    var meta = byId('meta');
    meta.replaceChildren();
    row(meta, 'Project', t.project.name);
    row(meta, 'Session', t.session.label);
    row(meta, 'Agent', t.session.agent_id);
    row(meta, 'Source', t.session.source);
    row(meta, 'Started', when(t.session.created_at));
    row(meta, 'Events', t.events.length);
    var list = byId('events');
    list.replaceChildren();
    t.events.forEach(function (e, i) {
      var decision = e.verdict ? DECISIONS[e.verdict.decision] : undefined;
      var item = el('li', 'event' + (decision ? ' ' + decision : ''));
      var head = el('div', 'head');
      head.appendChild(el('span', 'muted small', '#' + (i + 1)));
      head.appendChild(el('span', 'tool', e.tool || e.kind));
      head.appendChild(el('span', 'muted small', e.kind));
      if (e.verdict) head.appendChild(el('span', 'badge' + (decision ? ' ' + decision : ''), e.verdict.decision));
      head.appendChild(el('span', 'muted small', when(e.created_at)));
      item.appendChild(head);
      if (e.verdict) {
        item.appendChild(el('div', 'small', 'Decided by ' + e.verdict.source + ' at ' + when(e.verdict.created_at) + (e.verdict.reason ? ': ' + e.verdict.reason : '')));
        if (e.verdict.edited) item.appendChild(el('div', 'small', 'Approved with an edited input: the agent was told to run the reviewer\u2019s edit'));
        item.appendChild(el('div', 'small' + (e.verdict.ack_status === 'received' ? '' : ' muted'), ACKS[e.verdict.ack_status || 'none']));
      } else {
        item.appendChild(el('div', 'small muted', 'No verdict yet'));
      }
      if (e.review) {
        item.appendChild(el('div', 'small', 'Review: ' + e.review.status + (e.review.decided_at ? ' at ' + when(e.review.decided_at) : '')));
      }
      if (e.input !== null && e.input !== undefined) item.appendChild(el('pre', null, JSON.stringify(e.input, null, 2)));
      list.appendChild(item);
    });
    byId('truncated').hidden = !t.truncated;
    byId('transcript').hidden = false;
  }

  byId('view').addEventListener('click', async function () {
    var button = byId('view');
    button.disabled = true;
    try {
      var res = await call('POST');
      if (!res.ok) {
        say(failure(res.body));
        byId('actions').hidden = true;
        return;
      }
      var s = res.body.share;
      say('Transcript');
      byId('details').textContent = s.remaining_views === null ? 'Expires ' + when(s.expires_at)
        : 'Expires ' + when(s.expires_at) + ' · ' + s.remaining_views + (s.remaining_views === 1 ? ' view left' : ' views left');
      byId('actions').hidden = true;
      showTranscript(res.body);
    } catch (err) {
      say('Could not reach the server. Please try again.');
      button.disabled = false;
    }
  });

  if (!api) { say(MESSAGES.not_found); return; }
  call('GET').then(function (res) {
    if (res.ok) showState(res.body); else say(failure(res.body));
  }, function () { say('Could not reach the server. Please try again.'); });
})();
</script>
</body>
</html>
`;
