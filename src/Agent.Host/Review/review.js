// The review page's only script (served as /review.js; the Content-Security-Policy allows no inline script).
// It listens to GET /events and, when a run changes, fetches the page again and swaps in its #live part, keeping
// any reason being typed. Without it the page still works: every form is a plain POST.
'use strict';
(function () {
  const body = document.body;
  const status = document.getElementById('live-status');
  if (!body || body.dataset.eventsAfter === undefined || !window.EventSource) {
    return;
  }

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  let queued = false;
  async function refresh() {
    queued = false;
    const response = await fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
    if (!response.ok) {
      say('live updates: the page answered ' + response.status);
      return;
    }

    const fresh = new DOMParser().parseFromString(await response.text(), 'text/html').getElementById('live');
    const live = document.getElementById('live');
    if (!fresh || !live) {
      return;
    }

    const typed = new Map();
    live.querySelectorAll('textarea[name="reason"]').forEach(function (t) { typed.set(t.dataset.entry, t.value); });
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.entry : undefined;
    live.replaceWith(document.adoptNode(fresh));
    fresh.querySelectorAll('textarea[name="reason"]').forEach(function (t) {
      if (typed.has(t.dataset.entry)) {
        t.value = typed.get(t.dataset.entry);
      }
      if (focused !== undefined && t.dataset.entry === focused) {
        t.focus();
      }
    });
    body.dataset.lastRefresh = String(Date.now());
    say('live updates: on (updated ' + new Date().toLocaleTimeString() + ')');
  }

  const source = new EventSource('/events?after=' + encodeURIComponent(body.dataset.eventsAfter));
  source.addEventListener('open', function () { say('live updates: on'); });
  source.addEventListener('error', function () { say('live updates: reconnecting'); });
  source.addEventListener('run', function () {
    body.dataset.lastEvent = String(Date.now());
    if (!queued) {
      queued = true;
      window.setTimeout(refresh, 50);
    }
  });
})();
