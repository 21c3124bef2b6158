/* surge report: the dashboard page. Its tables can have a row per label, 100,000 of them: the rows
 * are loaded once (content/js/dashboard-data.js), then filtered, sorted and drawn a page at a time,
 * so the page stays fast whatever their number. Text is written with textContent only. */
"use strict";

(function () {
  var S = window.Surge;
  var PAGE_SIZES = [25, 50, 100, 500];
  var DEFAULT_PAGE_SIZE = 50;
  var FILTER_FROM_ROWS = 10; // smaller tables need no filter box
  var FILTER_DELAY_MS = 150; // while typing, filter a large table once the user pauses

  function text(v) {
    return v === null || v === undefined ? "" : String(v);
  }
  function int(v) {
    return typeof v === "number" ? String(Math.round(v)) : text(v);
  }
  function dp2(v) {
    return S.fixed(v, 2);
  }
  function dp3(v) {
    return S.fixed(v, 3);
  }
  function pct(v) {
    var shown = S.fixed(v, 2);
    return shown === "" ? "" : shown + "%";
  }
  function duration(v) {
    return S.formatDurationMs(v);
  }
  // A column is a formatter and whether it sorts as a number.
  var TEXT = { format: text, numeric: false };
  var INT = { format: int, numeric: true };
  var DP2 = { format: dp2, numeric: true };
  var DP3 = { format: dp3, numeric: true };
  var PCT = { format: pct, numeric: true };
  var DURATION = { format: duration, numeric: true };

  var SPECS = {
    apdexTable: {
      columns: [DP3, DURATION, DURATION, TEXT],
      labelColumn: 3,
      sortColumn: 0,
      descending: false,
      empty: "No samples.",
      what: "labels"
    },
    statisticsTable: {
      columns: [TEXT, INT, INT, PCT, DP2, INT, INT, DP2, DP2, DP2, DP2, DP2, DP2, DP2],
      labelColumn: 0,
      groups: [["Requests", 1], ["Executions", 3], ["Response Times (ms)", 7], ["Throughput", 1],
        ["Network (KB/sec)", 2]],
      sortColumn: 0,
      descending: false,
      empty: "No samples.",
      what: "labels"
    },
    errorsTable: {
      columns: [TEXT, INT, PCT, PCT],
      sortColumn: 1,
      descending: true,
      empty: "No errors.",
      what: "error types"
    },
    top5ErrorsBySamplerTable: {
      columns: [TEXT, INT, INT, TEXT, INT, TEXT, INT, TEXT, INT, TEXT, INT, TEXT, INT],
      groups: [["", 3], ["Top 5 errors (type and count)", 10]],
      labelColumn: 0,
      sortColumn: 0,
      descending: false,
      empty: "No errors.",
      what: "labels and errors"
    }
  };

  var collator = new Intl.Collator(undefined, { numeric: true });

  function column(spec, index) {
    return spec.columns[index] || TEXT;
  }

  function makeRow(data, isController, spec) {
    var tr = S.el("tr", null, isController ? "controller" : "");
    if (isController) {
      tr.title = "Transaction controller";
    }
    data.forEach(function (value, index) {
      var col = column(spec, index);
      var kind = col.numeric ? "num" : (index === spec.labelColumn ? "label" : "");
      tr.appendChild(S.el("td", col.format(value), kind));
    });
    return tr;
  }

  function compareValues(a, b, numeric) {
    if (numeric) {
      var x = S.toNumber(a);
      var y = S.toNumber(b);
      var xNaN = isNaN(x);
      var yNaN = isNaN(y);
      if (xNaN || yNaN) {
        return xNaN === yNaN ? 0 : (xNaN ? 1 : -1);
      }
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    return collator.compare(text(a), text(b));
  }

  function formatCount(n) {
    return n.toLocaleString("en-US");
  }

  function button(label, title) {
    var b = S.el("button", label, "page-button");
    b.type = "button";
    b.title = title;
    b.setAttribute("aria-label", title);
    return b;
  }

  /* The rows of one table: {data, controller, position, search} in data order. */
  function prepareRows(table, spec) {
    var controllers = {};
    (table.controllers || []).forEach(function (index) {
      controllers[index] = true;
    });
    var textColumns = spec.columns.map(function (col, index) {
      return col.numeric ? -1 : index;
    }).filter(function (index) {
      return index >= 0;
    });
    return (table.rows || []).map(function (data, position) {
      return {
        data: data,
        controller: controllers[position] === true,
        position: position,
        search: textColumns.map(function (index) {
          return text(data[index]);
        }).join("\u0000").toLowerCase()
      };
    });
  }

  function buildHead(titles, spec, state, onSort) {
    var thead = S.el("thead");
    if (spec.groups) {
      var groupRow = S.el("tr", null, "groups");
      spec.groups.forEach(function (group) {
        var th = S.el("th", group[0]);
        th.colSpan = group[1];
        th.scope = "colgroup";
        groupRow.appendChild(th);
      });
      thead.appendChild(groupRow);
    }
    var headRow = S.el("tr");
    var headers = titles.map(function (title, index) {
      var th = S.el("th", null, column(spec, index).numeric ? "num" : "");
      th.scope = "col";
      var sort = S.el("button", title, "sort");
      sort.type = "button";
      sort.title = "Sort by " + title;
      sort.addEventListener("click", function () {
        onSort(index);
      });
      th.appendChild(sort);
      th.setAttribute("aria-sort", "none");
      headRow.appendChild(th);
      return th;
    });
    thead.appendChild(headRow);
    return { thead: thead, headers: headers };
  }

  function buildTable(container, table, spec) {
    var titles = table.titles || [];
    var rows = prepareRows(table, spec);
    var state = {
      column: spec.sortColumn,
      descending: spec.descending,
      query: "",
      page: 0,
      size: DEFAULT_PAGE_SIZE
    };
    var view = rows;

    var tableEl = S.el("table", null, "data");
    var head = buildHead(titles, spec, state, function (index) {
      if (state.column === index) {
        state.descending = !state.descending;
      } else {
        state.column = index;
        state.descending = column(spec, index).numeric;
      }
      sortRows();
      applyFilter();
    });
    tableEl.appendChild(head.thead);
    if (table.overall) {
      var overallBody = S.el("tbody", null, "overall");
      overallBody.appendChild(makeRow(table.overall, false, spec));
      tableEl.appendChild(overallBody);
    }
    var body = S.el("tbody", null, "items");
    tableEl.appendChild(body);

    // Filter box and pager: only for tables that need them.
    var toolbar = S.el("div", null, "table-tools");
    var filter = null;
    if (rows.length > FILTER_FROM_ROWS) {
      filter = S.el("input", null, "table-filter");
      filter.type = "search";
      filter.placeholder = "Filter " + spec.what + "\u2026";
      filter.setAttribute("aria-label", "Filter the rows of this table");
      filter.addEventListener("input", function () {
        window.clearTimeout(state.timer);
        state.timer = window.setTimeout(function () {
          state.query = filter.value.trim().toLowerCase();
          applyFilter();
        }, rows.length > 2000 ? FILTER_DELAY_MS : 0);
      });
      toolbar.appendChild(filter);
    }
    var count = S.el("span", null, "table-count");
    count.setAttribute("aria-live", "polite");
    var pager = S.el("span", null, "table-pager");
    var first = button("\u00ab", "First page");
    var previous = button("\u2039", "Previous page");
    var position = S.el("span", null, "page-position");
    var next = button("\u203a", "Next page");
    var last = button("\u00bb", "Last page");
    var sizeLabel = S.el("label", null, "page-size");
    var size = S.el("select");
    PAGE_SIZES.forEach(function (n) {
      var option = S.el("option", String(n));
      option.value = String(n);
      option.selected = n === state.size;
      size.appendChild(option);
    });
    sizeLabel.appendChild(size);
    sizeLabel.appendChild(document.createTextNode(" rows per page"));
    [first, previous, position, next, last, sizeLabel].forEach(function (node) {
      pager.appendChild(node);
    });
    toolbar.appendChild(count);
    toolbar.appendChild(pager);
    first.addEventListener("click", function () {
      goTo(0);
    });
    previous.addEventListener("click", function () {
      goTo(state.page - 1);
    });
    next.addEventListener("click", function () {
      goTo(state.page + 1);
    });
    last.addEventListener("click", function () {
      goTo(Infinity);
    });
    size.addEventListener("change", function () {
      var firstShown = state.page * state.size;
      state.size = parseInt(size.value, 10);
      goTo(Math.floor(firstShown / state.size));
    });

    function pages() {
      return Math.max(1, Math.ceil(view.length / state.size));
    }

    function goTo(page) {
      state.page = Math.max(0, Math.min(page, pages() - 1));
      draw();
    }

    function sortRows() {
      var index = state.column;
      var numeric = column(spec, index).numeric;
      var sign = state.descending ? -1 : 1;
      rows.sort(function (a, b) {
        var result = compareValues(a.data[index], b.data[index], numeric);
        return result !== 0 ? sign * result : a.position - b.position;
      });
      head.headers.forEach(function (th, i) {
        var active = i === state.column;
        th.setAttribute("aria-sort", active ? (state.descending ? "descending" : "ascending") : "none");
      });
    }

    function applyFilter() {
      var query = state.query;
      view = query ? rows.filter(function (row) {
        return row.search.indexOf(query) >= 0;
      }) : rows;
      goTo(0);
    }

    function draw() {
      var start = state.page * state.size;
      var shown = view.slice(start, start + state.size);
      var fragment = document.createDocumentFragment();
      shown.forEach(function (row) {
        fragment.appendChild(makeRow(row.data, row.controller, spec));
      });
      if (shown.length === 0) {
        var tr = S.el("tr", null, "empty");
        var td = S.el("td", state.query ? "No row matches \u201c" + state.query + "\u201d." : spec.empty);
        td.colSpan = Math.max(titles.length, 1);
        tr.appendChild(td);
        fragment.appendChild(tr);
      }
      body.replaceChildren(fragment);
      var paged = rows.length > PAGE_SIZES[0];
      pager.hidden = !paged;
      count.hidden = !paged && !filter;
      var range = view.length === 0 ? "0" :
        formatCount(start + 1) + "\u2013" + formatCount(start + shown.length);
      count.textContent = range + " of " + formatCount(view.length) +
        (view.length !== rows.length ? " matching (" + formatCount(rows.length) + " in all)" : "");
      position.textContent = "page " + formatCount(state.page + 1) + " of " + formatCount(pages());
      first.disabled = previous.disabled = state.page === 0;
      next.disabled = last.disabled = state.page >= pages() - 1;
    }

    if (filter || rows.length > PAGE_SIZES[0]) {
      container.appendChild(toolbar);
    }
    var wrap = S.el("div", null, "table-scroll");
    wrap.appendChild(tableEl);
    container.appendChild(wrap);
    sortRows();
    applyFilter();
  }

  function drawSummary(summary) {
    var node = document.getElementById("requestsSummary");
    var ko = S.toNumber(summary.KoPercent);
    var ok = S.toNumber(summary.OkPercent);
    if (!isFinite(ko) || !isFinite(ok)) {
      node.appendChild(S.el("p", "No samples.", "empty"));
      return;
    }
    var trace = {
      type: "pie",
      labels: ["FAIL", "PASS"],
      values: [ko, ok],
      marker: { colors: ["#FF6347", "#9ACD32"] },
      sort: false,
      direction: "clockwise",
      textposition: "inside",
      insidetextorientation: "horizontal",
      texttemplate: "%{label}<br>%{value:.2f}%",
      hovertemplate: "%{label}: %{value:.2f}%<extra></extra>"
    };
    var layout = S.layout({ height: 300, margin: { l: 20, r: 20, t: 20, b: 20 } });
    window.Plotly.newPlot(node, [trace], layout, S.config());
  }

  function main() {
    var data = window.SurgeDashboardData;
    if (!data) {
      var missing = "The tables' data (content/js/dashboard-data.js) did not load.";
      document.querySelector("main").appendChild(S.el("p", missing, "note warning"));
      return;
    }
    var tables = data.tables || {};
    Object.keys(SPECS).forEach(function (id) {
      var container = document.getElementById(id);
      if (container && tables[id]) {
        buildTable(container, tables[id], SPECS[id]);
      }
    });
    if (tables.requestsSummary) {
      drawSummary(tables.requestsSummary);
    }
  }

  main();
})();
