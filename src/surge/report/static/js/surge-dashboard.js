/* surge report: the dashboard page (tables built with textContent, sortable by header click). */
"use strict";

(function () {
  var S = window.Surge;

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
      sortColumn: 0,
      descending: false,
      empty: "No samples."
    },
    statisticsTable: {
      columns: [TEXT, INT, INT, PCT, DP2, INT, INT, DP2, DP2, DP2, DP2, DP2, DP2, DP2],
      groups: [["Requests", 1], ["Executions", 3], ["Response Times (ms)", 7], ["Throughput", 1],
        ["Network (KB/sec)", 2]],
      sortColumn: 0,
      descending: false,
      empty: "No samples."
    },
    errorsTable: {
      columns: [TEXT, INT, PCT, PCT],
      sortColumn: 1,
      descending: true,
      empty: "No errors."
    },
    top5ErrorsBySamplerTable: {
      columns: [TEXT, INT, INT, TEXT, INT, TEXT, INT, TEXT, INT, TEXT, INT, TEXT, INT],
      groups: [["", 3], ["Top 5 errors (type and count)", 10]],
      sortColumn: 0,
      descending: false,
      empty: "No errors."
    }
  };

  function column(spec, index) {
    return spec.columns[index] || TEXT;
  }

  function makeRow(item, spec) {
    var tr = S.el("tr", null, item.isController ? "controller" : "");
    if (item.isController) {
      tr.title = "Transaction controller";
    }
    item.data.forEach(function (value, index) {
      var col = column(spec, index);
      var td = S.el("td", col.format(value), col.numeric ? "num" : "");
      tr.appendChild(td);
    });
    return tr;
  }

  function compare(a, b, numeric) {
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
    return text(a).localeCompare(text(b));
  }

  function buildTable(container, table, spec) {
    var titles = table.titles || [];
    var tableEl = S.el("table", null, "data");
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
    var headers = [];
    titles.forEach(function (title, index) {
      var th = S.el("th", null, column(spec, index).numeric ? "num" : "");
      th.scope = "col";
      var button = S.el("button", title, "sort");
      button.type = "button";
      button.title = "Sort by " + title;
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      headRow.appendChild(th);
      headers.push(th);
    });
    thead.appendChild(headRow);
    tableEl.appendChild(thead);

    if (table.overall) {
      var overallBody = S.el("tbody", null, "overall");
      overallBody.appendChild(makeRow(table.overall, spec));
      tableEl.appendChild(overallBody);
    }
    var body = S.el("tbody", null, "items");
    var rows = (table.items || []).map(function (item) {
      return { item: item, tr: makeRow(item, spec) };
    });
    tableEl.appendChild(body);

    var state = { column: spec.sortColumn, descending: spec.descending };
    function sortRows() {
      var numeric = column(spec, state.column).numeric;
      var sign = state.descending ? -1 : 1;
      var keyed = rows.map(function (row, position) {
        return { row: row, position: position };
      });
      keyed.sort(function (a, b) {
        var result = compare(a.row.item.data[state.column], b.row.item.data[state.column], numeric);
        return result !== 0 ? sign * result : a.position - b.position;
      });
      rows = keyed.map(function (k) {
        return k.row;
      });
      rows.forEach(function (row) {
        body.appendChild(row.tr);
      });
      headers.forEach(function (th, index) {
        var active = index === state.column;
        th.setAttribute("aria-sort", active ? (state.descending ? "descending" : "ascending") : "none");
      });
    }
    headers.forEach(function (th, index) {
      th.querySelector("button").addEventListener("click", function () {
        if (state.column === index) {
          state.descending = !state.descending;
        } else {
          state.column = index;
          state.descending = column(spec, index).numeric;
        }
        sortRows();
      });
    });
    if (rows.length === 0) {
      var tr = S.el("tr", null, "empty");
      var td = S.el("td", spec.empty);
      td.colSpan = Math.max(titles.length, 1);
      tr.appendChild(td);
      body.appendChild(tr);
    } else {
      sortRows();
    }
    container.appendChild(tableEl);
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
    var data = S.readData();
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
