// Palisade's only script. It is progressive enhancement: every page works
// without it, and it adds no dependency. The only requests it makes are an
// incident page's polls of its own timeline, on the same origin.
(function () {
  'use strict';

  // Tables marked data-filter get a search box that hides the rows on this
  // page that do not contain the typed text. It is a quick narrowing aid for
  // long pages; the server-side filters cover the whole catalog.
  function addFilter(table, n) {
    var body = table.tBodies[0];
    if (!body || body.rows.length < 8) {
      return; // a short table is easier to read than to filter
    }
    var what = table.getAttribute('data-filter') || 'rows';
    var box = document.createElement('div');
    box.className = 'table-filter';
    var label = document.createElement('label');
    label.htmlFor = 'table-filter-' + n;
    label.textContent = 'Find ' + what + ' on this page';
    var input = document.createElement('input');
    input.type = 'search';
    input.id = 'table-filter-' + n;
    input.autocomplete = 'off';
    input.spellcheck = false;
    var count = document.createElement('output');
    count.setAttribute('aria-live', 'polite');
    box.appendChild(label);
    box.appendChild(input);
    box.appendChild(count);
    var wrap = table.parentNode.classList.contains('table-wrap') ? table.parentNode : table;
    wrap.parentNode.insertBefore(box, wrap);

    input.addEventListener('input', function () {
      var q = input.value.trim().toLowerCase();
      var shown = 0;
      for (var i = 0; i < body.rows.length; i++) {
        var row = body.rows[i];
        var match = q === '' || row.textContent.toLowerCase().indexOf(q) >= 0;
        row.hidden = !match;
        if (match) {
          shown++;
        }
      }
      count.textContent = q === '' ? '' : shown + ' of ' + body.rows.length + ' shown';
    });
  }

  // A header cell marked data-select-all gets a checkbox that ticks or
  // clears every row's checkbox. It is made here, not in the page, because
  // without the script it could do nothing.
  function addSelectAll(cell) {
    var table = cell.closest('table');
    var boxes = table.querySelectorAll('tbody input[type="checkbox"][name="id"]');
    if (boxes.length === 0) {
      return;
    }
    var all = document.createElement('input');
    all.type = 'checkbox';
    all.setAttribute('aria-label', 'Select every finding on this page');
    cell.appendChild(all);
    function sync() {
      var n = 0;
      for (var i = 0; i < boxes.length; i++) {
        if (boxes[i].checked) {
          n++;
        }
      }
      all.checked = n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    }
    all.addEventListener('change', function () {
      for (var i = 0; i < boxes.length; i++) {
        // Rows the table filter hides stay as they are: selecting what
        // one cannot see would be a surprise.
        if (!boxes[i].closest('tr').hidden) {
          boxes[i].checked = all.checked;
        }
      }
      sync();
    });
    for (var i = 0; i < boxes.length; i++) {
      boxes[i].addEventListener('change', sync);
    }
    sync();
  }

  // A state select names, in data-justification, the justification select
  // beside it. A justification goes only with not_affected, and the server
  // refuses it with any other state, so the script disables it (and a
  // disabled field is not sent) while another state is chosen.
  function linkJustification(state) {
    var just = document.getElementById(state.getAttribute('data-justification'));
    if (!just) {
      return;
    }
    function sync() {
      just.disabled = state.value !== 'not_affected';
    }
    state.addEventListener('change', sync);
    sync();
  }

  // A <pre data-copy> gets a button that copies its text: the gate's
  // Markdown report, for a pull request. The clipboard API exists only in
  // secure contexts (HTTPS, localhost); elsewhere there is no button and
  // the text is selected by hand, as without the script.
  function addCopy(pre) {
    if (!navigator.clipboard || !window.isSecureContext) {
      return;
    }
    var row = document.createElement('div');
    row.className = 'copy-row';
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'button button-quiet';
    button.textContent = 'Copy the Markdown';
    var said = document.createElement('output');
    said.setAttribute('aria-live', 'polite');
    row.appendChild(button);
    row.appendChild(said);
    pre.parentNode.insertBefore(row, pre);
    button.addEventListener('click', function () {
      navigator.clipboard.writeText(pre.textContent).then(function () {
        said.textContent = 'Copied.';
      }, function () {
        said.textContent = 'The browser refused; select the text and copy it.';
      });
    });
  }

  // An incident's timeline (ol[data-live]) follows the incident as it
  // happens: every few seconds the script asks the page's JSON for the
  // entries after the last one shown and appends them, built with the same
  // markup the server writes. Without the script a reload shows everything.
  // Polling pauses while the tab is hidden, slows down while Palisade does
  // not answer, and stops when the session ends.
  function liveTimeline(list) {
    var url = list.getAttribute('data-live');
    var after = parseInt(list.getAttribute('data-after'), 10) || 0;
    var every = parseInt(list.getAttribute('data-poll'), 10) || 5000;
    var status = list.getAttribute('data-status');
    var severity = list.getAttribute('data-severity');
    var said = document.getElementById('timeline-live');
    var empty = document.getElementById('timeline-empty');
    var delay = every;
    var timer = null;
    var busy = false;
    var stopped = false;
    var warned = false;

    function say(text, problem) {
      if (!said) {
        return;
      }
      said.hidden = false;
      said.textContent = text;
      said.classList.toggle('live-problem', Boolean(problem));
    }

    function entry(e) {
      var li = document.createElement('li');
      li.className = 'entry entry-new ' + e['class'];
      li.id = 'entry-' + e.seq;
      var head = document.createElement('p');
      head.className = 'timeline-head';
      var time = document.createElement('time');
      time.setAttribute('datetime', e.at);
      time.textContent = e.when;
      var kind = document.createElement('span');
      kind.className = 'entry-kind';
      kind.textContent = e.kind;
      var actor = document.createElement('code');
      actor.textContent = e.actor;
      head.appendChild(time);
      head.appendChild(document.createTextNode(' · '));
      head.appendChild(kind);
      head.appendChild(document.createTextNode(' · '));
      head.appendChild(actor);
      var text = document.createElement('p');
      text.className = 'entry-text prewrap';
      text.textContent = e.text;
      li.appendChild(head);
      li.appendChild(text);
      return li;
    }

    // The header and the forms show the status and severity the page was
    // loaded with; when someone else changes them, say so rather than
    // rewrite half the page.
    function warnChanged(body) {
      if (warned || (body.status === status && body.severity === severity)) {
        return;
      }
      warned = true;
      var p = document.createElement('p');
      p.className = 'notice';
      p.setAttribute('role', 'status');
      p.appendChild(document.createTextNode('The incident is now ' + body.status + ', ' + body.severity +
        ': the header and forms above show it as it was. '));
      var a = document.createElement('a');
      a.href = window.location.pathname;
      a.textContent = 'Reload the page';
      p.appendChild(a);
      list.parentNode.insertBefore(p, list);
    }

    function schedule() {
      clearTimeout(timer);
      if (!stopped && !document.hidden) {
        timer = setTimeout(poll, delay);
      }
    }

    function poll() {
      if (busy || stopped) {
        return;
      }
      busy = true;
      fetch(url + '?after=' + after, {headers: {'Accept': 'application/json'}, cache: 'no-store', credentials: 'same-origin'})
        .then(function (resp) {
          return resp.json().catch(function () {
            return {};
          }).then(function (body) {
            return {status: resp.status, body: body};
          });
        })
        .then(function (r) {
          if (r.status === 401) {
            stopped = true;
            say('Your session ended: sign in again to see new entries.', true);
            return;
          }
          if (r.status === 404) {
            stopped = true;
            say('This incident can no longer be followed here: reload the page.', true);
            return;
          }
          if (r.status !== 200 || !r.body.entries) {
            throw new Error(r.body.error || 'status ' + r.status);
          }
          var added = 0;
          for (var i = 0; i < r.body.entries.length; i++) {
            var e = r.body.entries[i];
            if (e.seq > after && !document.getElementById('entry-' + e.seq)) {
              list.appendChild(entry(e));
              added++;
            }
          }
          after = Math.max(after, r.body.last || 0);
          list.setAttribute('data-after', String(after));
          if (added > 0) {
            if (empty) {
              empty.hidden = true;
            }
            // In UTC, as the entries are.
            say('Live: ' + added + (added === 1 ? ' new entry' : ' new entries') + ' at ' + new Date().toISOString().slice(11, 19) + ' UTC.');
          } else if (delay !== every) {
            say('Live: new entries appear here as they are written.');
          }
          delay = every;
          warnChanged(r.body);
        })
        .catch(function () {
          delay = Math.min(delay * 2, 60000);
          say('Live updates paused: Palisade did not answer. Trying again in ' + Math.round(delay / 1000) + ' seconds.', true);
        })
        .then(function () {
          busy = false;
          schedule();
        });
    }

    document.addEventListener('visibilitychange', function () {
      if (document.hidden) {
        clearTimeout(timer);
      } else {
        poll(); // catch up at once on coming back
      }
    });
    say('Live: new entries appear here as they are written.');
    schedule();
  }

  function start() {
    var tables = document.querySelectorAll('table[data-filter]');
    for (var i = 0; i < tables.length; i++) {
      addFilter(tables[i], i);
    }
    var cells = document.querySelectorAll('th[data-select-all]');
    for (var j = 0; j < cells.length; j++) {
      addSelectAll(cells[j]);
    }
    var states = document.querySelectorAll('select[data-justification]');
    for (var k = 0; k < states.length; k++) {
      linkJustification(states[k]);
    }
    var pres = document.querySelectorAll('pre[data-copy]');
    for (var m = 0; m < pres.length; m++) {
      addCopy(pres[m]);
    }
    var live = document.querySelectorAll('ol[data-live]');
    for (var n = 0; n < live.length; n++) {
      liveTimeline(live[n]);
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
