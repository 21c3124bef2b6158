/* surge compare: the comparison table, the charts of both runs and the trend. Data comes from
 * content/js/compare-data.js (untrusted labels inside): text is written with textContent only, and
 * escaped before Plotly sees it. */
"use strict";

(function () {
  var S = window.Surge;
  var PAGE_SIZE = 50;
  var BASE_STYLE = { color: "#5b6673", dash: "dash", width: 2 };
  var CAND_STYLE = { color: "#ff7f0e", width: 2 };
  var collator = new Intl.Collator(undefined, { numeric: true });

  function num(v) {
    return typeof v === "number" && isFinite(v);
  }
  function value(v, unit) {
    if (!num(v)) {
      return "";
    }
    if (unit === "") {
      return Math.round(v).toLocaleString("en-US");
    }
    if (unit === "%") {
      return v.toFixed(2) + " %";
    }
    return v.toFixed(unit === "/s" ? 2 : 1);
  }
  function signed(v, decimals, suffix) {
    return (v > 0 ? "+" : "") + v.toFixed(decimals) + suffix;
  }
  /* The change shown in a cell: relative for most metrics, percentage points for error %. */
  function change(metric, cell) {
    var base = cell[0];
    var cand = cell[1];
    if (!num(base) || !num(cand)) {
      return { text: "", sort: NaN };
    }
    if (metric.name === "error_rate") {
      return { text: signed(cand - base, 2, " pp"), sort: cand - base };
    }
    if (base === 0) {
      return cand === 0 ? { text: "0 %", sort: 0 } : { text: "new", sort: Infinity };
    }
    var rel = (cand - base) / Math.abs(base) * 100;
    return { text: signed(rel, 1, " %"), sort: rel };
  }
  function explain(metric, cell, data) {
    var unit = metric.unit === "" ? "" : " " + metric.unit;
    var lines = [metric.title + ": " + value(cell[0], metric.unit) + " \u2192 " + value(cell[1], metric.unit)];
    if (num(cell[0]) && num(cell[1])) {
      var digits = metric.unit === "%" || metric.unit === "/s" ? 2 : 1;
      lines.push("change " + signed(cell[1] - cell[0], digits, metric.unit === "%" ? " pp" : unit));
    }
    if (num(cell[2])) {
      var level = Math.round((1 - data.alpha) * 100);
      lines.push(level + " % confidence interval of the change: [" + cell[3] + ", " + cell[4] + "]");
      lines.push("p = " + (cell[2] < 0.0001 ? "< 0.0001" : cell[2].toPrecision(2)) +
        (cell[5] === 0 ? " (not significant)" : " (significant)"));
    } else if (cell[6]) {
      lines.push("not tested: " + cell[6]);
    } else if (!metric.tested) {
      lines.push("no significance test for this metric");
    }
    if (cell[7] === 1) {
      lines.push("REGRESSION: breaks a rule, and significant after correcting for all checks");
    }
    return lines.join("\n");
  }
  function cellClass(cell) {
    var names = ["num"];
    if (cell[5] === 1) {
      names.push("worse");
    } else if (cell[5] === -1) {
      names.push("better");
    } else if (cell[5] === 0) {
      names.push("ns");
    }
    if (cell[7] === 1) {
      names.push("regression");
    }
    return names.join(" ");
  }

  /* Columns of the table for a view: {title, group, get(row) -> {text, sort, cls, title}}. */
  function columns(data, view) {
    var cols = [{
      title: "Label", group: "", numeric: false,
      get: function (row) {
        return { text: row[0], sort: row[0], cls: "label" };
      }
    }];
    data.metrics.forEach(function (metric, m) {
      var unit = metric.unit === "" || metric.unit === "%" ? "" : " (" + metric.unit + ")";
      function cellOf(row) {
        return row[2 + m];
      }
      if (view === "all") {
        [0, 1].forEach(function (which) {
          cols.push({
            title: which === 0 ? "Base" : "Cand", group: metric.title + unit, numeric: true, first: which === 0,
            get: function (row) {
              var cell = cellOf(row);
              return { text: value(cell[which], metric.unit), sort: cell[which], cls: "num" };
            }
          });
        });
      }
      cols.push({
        title: view === "all" ? "\u0394" : metric.title + unit, group: view === "all" ? metric.title + unit : "",
        numeric: true, first: view !== "all",
        get: function (row) {
          var cell = cellOf(row);
          var shown = change(metric, cell);
          var text = shown.text;
          if (view !== "all" && num(cell[1])) {
            text = value(cell[1], metric.unit) + (shown.text ? " (" + shown.text + ")" : "");
          }
          return { text: text, sort: shown.sort, cls: cellClass(cell), title: explain(metric, cell, data) };
        }
      });
    });
    return cols;
  }

  function compare(a, b, numeric) {
    if (numeric) {
      var x = num(a) || a === Infinity || a === -Infinity ? a : NaN;
      var y = num(b) || b === Infinity || b === -Infinity ? b : NaN;
      if (isNaN(x) || isNaN(y)) {
        return isNaN(x) === isNaN(y) ? 0 : (isNaN(x) ? 1 : -1);
      }
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    return collator.compare(String(a), String(b));
  }

  function makeRow(row, cols) {
    var tr = S.el("tr", null, (row[1] & 2 ? "controller " : "") + (row[1] & 4 ? "has-regression" : ""));
    cols.forEach(function (col) {
      var got = col.get(row);
      var td = S.el("td", got.text, got.cls + (col.first ? " group-start" : ""));
      if (got.title) {
        td.title = got.title;
      }
      tr.appendChild(td);
    });
    return tr;
  }

  function drawTable(container, data, view, state) {
    var cols = columns(data, view);
    var total = data.rows.filter(function (row) {
      return row[1] & 1;
    });
    var rows = data.rows.filter(function (row) {
      return !(row[1] & 1);
    });
    container.replaceChildren();
    var tools = S.el("div", null, "table-tools");
    var filter = S.el("input", null, "table-filter");
    filter.type = "search";
    filter.placeholder = "Filter labels\u2026";
    filter.value = state.query;
    filter.setAttribute("aria-label", "Filter the labels of the comparison");
    var count = S.el("span", null, "table-count");
    var pager = S.el("span", null, "table-pager");
    var prev = S.el("button", "\u2039", "page-button");
    var next = S.el("button", "\u203a", "page-button");
    var position = S.el("span", null, "page-position");
    prev.type = next.type = "button";
    prev.setAttribute("aria-label", "Previous page");
    next.setAttribute("aria-label", "Next page");
    [prev, position, next].forEach(function (n) {
      pager.appendChild(n);
    });
    [filter, count, pager].forEach(function (n) {
      tools.appendChild(n);
    });
    container.appendChild(tools);
    var table = S.el("table", null, "data compare");
    var thead = S.el("thead");
    var groups = S.el("tr", null, "groups");
    var heads = S.el("tr");
    var lastGroup = null;
    var span = null;
    cols.forEach(function (col, index) {
      if (col.group !== lastGroup || !col.group) {
        span = S.el("th", col.group);
        span.colSpan = 1;
        span.scope = "colgroup";
        groups.appendChild(span);
        lastGroup = col.group;
      } else {
        span.colSpan += 1;
      }
      var th = S.el("th", null, (col.numeric ? "num" : "") + (col.first ? " group-start" : ""));
      th.scope = "col";
      var button = S.el("button", col.title, "sort");
      button.type = "button";
      button.title = "Sort by " + (col.group ? col.group + " " : "") + col.title;
      button.addEventListener("click", function () {
        state.descending = state.column === index ? !state.descending : col.numeric;
        state.column = index;
        state.page = 0;
        drawTable(container, data, view, state);
      });
      th.appendChild(button);
      th.setAttribute("aria-sort", state.column === index ? (state.descending ? "descending" : "ascending") : "none");
      heads.appendChild(th);
    });
    if (view === "all") {
      thead.appendChild(groups);
    }
    thead.appendChild(heads);
    table.appendChild(thead);
    var overall = S.el("tbody", null, "overall");
    total.forEach(function (row) {
      overall.appendChild(makeRow(row, cols));
    });
    table.appendChild(overall);
    var body = S.el("tbody", null, "items");
    table.appendChild(body);
    var wrap = S.el("div", null, "table-scroll");
    wrap.appendChild(table);
    container.appendChild(wrap);

    var col = cols[state.column] || cols[0];
    var sign = state.descending ? -1 : 1;
    var sorted = rows.map(function (row, position) {
      return { row: row, key: col.get(row).sort, position: position };
    }).sort(function (a, b) {
      var r = compare(a.key, b.key, col.numeric);
      return r !== 0 ? sign * r : a.position - b.position;
    });
    function draw() {
      var query = state.query.toLowerCase();
      var view = query ? sorted.filter(function (item) {
        return String(item.row[0]).toLowerCase().indexOf(query) >= 0;
      }) : sorted;
      var pages = Math.max(1, Math.ceil(view.length / PAGE_SIZE));
      state.page = Math.max(0, Math.min(state.page, pages - 1));
      var start = state.page * PAGE_SIZE;
      var shown = view.slice(start, start + PAGE_SIZE);
      var fragment = document.createDocumentFragment();
      shown.forEach(function (item) {
        fragment.appendChild(makeRow(item.row, cols));
      });
      if (shown.length === 0) {
        var tr = S.el("tr", null, "empty");
        var td = S.el("td", query ? "No label matches \u201c" + state.query + "\u201d." : "No label in both runs.");
        td.colSpan = cols.length;
        tr.appendChild(td);
        fragment.appendChild(tr);
      }
      body.replaceChildren(fragment);
      count.textContent = view.length.toLocaleString("en-US") + " label" + (view.length === 1 ? "" : "s") +
        (view.length !== sorted.length ? " matching (" + sorted.length.toLocaleString("en-US") + " in all)" : "");
      position.textContent = "page " + (state.page + 1) + " of " + pages;
      pager.hidden = pages <= 1;
      prev.disabled = state.page === 0;
      next.disabled = state.page >= pages - 1;
    }
    filter.addEventListener("input", function () {
      state.query = filter.value.trim();
      state.page = 0;
      draw();
    });
    prev.addEventListener("click", function () {
      state.page -= 1;
      draw();
    });
    next.addEventListener("click", function () {
      state.page += 1;
      draw();
    });
    draw();
  }

  function drawOnly(id, rows) {
    var node = document.getElementById(id);
    if (!rows.length) {
      node.appendChild(S.el("p", "None.", "empty"));
      return;
    }
    var table = S.el("table", null, "data");
    var head = S.el("tr");
    head.appendChild(S.el("th", "Label"));
    head.appendChild(S.el("th", "Samples", "num"));
    var thead = S.el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var body = S.el("tbody");
    rows.forEach(function (row) {
      var tr = S.el("tr");
      tr.appendChild(S.el("td", row[0], "label"));
      tr.appendChild(S.el("td", Math.round(row[1]).toLocaleString("en-US"), "num"));
      body.appendChild(tr);
    });
    table.appendChild(body);
    var wrap = S.el("div", null, "table-scroll");
    wrap.appendChild(table);
    node.appendChild(wrap);
  }

  function fillSelect(select, names) {
    names.forEach(function (name) {
      var option = S.el("option", name);
      option.value = name;
      select.appendChild(option);
    });
  }

  function lines(node, traces, layout) {
    window.Plotly.react(node, traces, S.layout(Object.assign({ height: 340, hovermode: "x unified",
      legend: { orientation: "h", y: -0.25 } }, layout)), S.config());
  }

  function trace(name, x, y, style) {
    return { type: "scatter", mode: "lines", name: S.plotText(name), x: x, y: y, line: style,
      hovertemplate: "%{y}<extra>" + S.plotText(name) + "</extra>" };
  }

  function drawCharts(data) {
    var charts = data.charts;
    var select = document.getElementById("chartRow");
    fillSelect(select, charts.rows);
    var names = data.runs;
    function draw() {
      var row = select.value;
      var runs = [charts.baseline[row] || { curve: [], time: [] }, charts.candidate[row] || { curve: [], time: [] }];
      var styles = [BASE_STYLE, CAND_STYLE];
      var curves = runs.map(function (run, i) {
        return trace(names[i], run.curve.map(function (p) {
          return 100 / (100 - p[0]);
        }), run.curve.map(function (p) {
          return p[1];
        }), Object.assign({ shape: "hv" }, styles[i]));
      });
      curves.forEach(function (t, i) {
        t.customdata = runs[i].curve.map(function (p) {
          return p[0];
        });
        t.hovertemplate = "p%{customdata}: %{y} ms<extra>" + S.plotText(names[i]) + "</extra>";
      });
      lines(document.getElementById("chartCurve"), curves, {
        title: { text: "Response time percentiles", font: { size: 13 } },
        hovermode: "closest",
        xaxis: { type: "log", title: { text: "Percentile" }, tickvals: [1, 2, 10, 100, 1000, 10000],
          ticktext: ["0", "50", "90", "99", "99.9", "99.99"] },
        yaxis: { title: { text: "ms" }, rangemode: "tozero" }
      });
      function overTime(id, title, unit, pick) {
        var traces = runs.map(function (run, i) {
          return trace(names[i], run.time.map(function (b) {
            return b[0];
          }), run.time.map(pick), styles[i]);
        });
        lines(document.getElementById(id), traces, {
          title: { text: title, font: { size: 13 } },
          xaxis: { title: { text: "Seconds since the run's start (" + charts.stepS + " s buckets)" } },
          yaxis: { title: { text: unit }, rangemode: "tozero" }
        });
      }
      overTime("chartTime", "Mean response time over time", "ms", function (b) {
        return b[3];
      });
      overTime("chartRate", "Throughput over time", "samples / s", function (b) {
        return b[1] / charts.stepS;
      });
      overTime("chartErrors", "Errors over time", "% of samples", function (b) {
        return b[1] ? b[2] * 100 / b[1] : null;
      });
    }
    select.addEventListener("change", draw);
    draw();
  }

  function drawTrend(data) {
    var trend = data.trend;
    if (!trend) {
      return;
    }
    var rowSelect = document.getElementById("trendRow");
    var metricSelect = document.getElementById("trendMetric");
    fillSelect(rowSelect, trend.rows.map(function (row) {
      return row[0];
    }));
    trend.metrics.forEach(function (metric, i) {
      var option = S.el("option", metric.title);
      option.value = String(i);
      metricSelect.appendChild(option);
    });
    var runs = trend.runs.map(function (name, i) {
      return (i + 1) + ". " + name;
    });
    function drawCharts() {
      var row = trend.rows.filter(function (r) {
        return r[0] === rowSelect.value;
      })[0];
      trend.metrics.forEach(function (metric, i) {
        var t = trace(metric.title, runs, row[1 + i], { color: "#1f77b4", width: 2 });
        t.mode = "lines+markers";
        lines(document.getElementById("trend_" + metric.name), [t], {
          title: { text: metric.title + " (" + metric.unit + ")", font: { size: 13 } },
          showlegend: false,
          xaxis: { type: "category", automargin: true },
          yaxis: { rangemode: "tozero" }
        });
      });
    }
    function drawTable() {
      var m = parseInt(metricSelect.value, 10);
      var metric = trend.metrics[m];
      var node = document.getElementById("trendTable");
      var table = S.el("table", null, "data trend");
      var head = S.el("tr");
      head.appendChild(S.el("th", "Label"));
      runs.forEach(function (name) {
        head.appendChild(S.el("th", name, "num"));
      });
      var thead = S.el("thead");
      thead.appendChild(head);
      table.appendChild(thead);
      var body = S.el("tbody");
      trend.rows.forEach(function (row) {
        var tr = S.el("tr");
        tr.appendChild(S.el("td", row[0], "label"));
        row[1 + m].forEach(function (v) {
          tr.appendChild(S.el("td", value(v, metric.unit === "%" ? "%" : metric.unit), "num"));
        });
        body.appendChild(tr);
      });
      table.appendChild(body);
      var wrap = S.el("div", null, "table-scroll");
      wrap.appendChild(table);
      node.replaceChildren(wrap);
    }
    rowSelect.addEventListener("change", drawCharts);
    metricSelect.addEventListener("change", drawTable);
    drawCharts();
    drawTable();
  }

  function main() {
    var data = window.SurgeCompareData;
    if (!data) {
      var missing = "The comparison's data (content/js/compare-data.js) did not load.";
      document.querySelector("main").appendChild(S.el("p", missing, "note warning"));
      return;
    }
    var container = document.getElementById("compareTable");
    var viewSelect = document.getElementById("compareView");
    var state = { column: 0, descending: false, query: "", page: 0 };
    viewSelect.addEventListener("change", function () {
      state.column = 0;
      state.descending = false;
      drawTable(container, data, viewSelect.value, state);
    });
    drawTable(container, data, viewSelect.value, state);
    drawOnly("onlyBaseline", data.only.baseline);
    drawOnly("onlyCandidate", data.only.candidate);
    drawCharts(data);
    drawTrend(data);
  }

  main();
})();
