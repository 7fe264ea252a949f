// Palisade's only script. It is progressive enhancement: every page works
// without it, and it adds no request and no dependency.
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

  function start() {
    var tables = document.querySelectorAll('table[data-filter]');
    for (var i = 0; i < tables.length; i++) {
      addFilter(tables[i], i);
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
