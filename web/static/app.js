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
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
