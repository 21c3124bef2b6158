/* surge tune: draws the page's charts with Plotly from the JSON block (never executed as code).
 * Text given to Plotly is HTML-escaped first: Plotly renders a subset of HTML in legends and
 * hover labels, and candidate names come from the tune's own data, escaped all the same. */
"use strict";

(function () {
  var MODE_COLORS = { sync: "#1f77b4", gthread: "#ff7f0e", gevent: "#2ca02c", "flask-threaded": "#7f7f7f" };
  var DASHES = ["solid", "dot", "dash", "longdash", "dashdot", "longdashdot"];

  function plotText(value) {
    return String(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function color(candidate) {
    return MODE_COLORS[candidate.mode] || "#8c564b";
  }

  function layout(title, xTitle, yTitle, extra) {
    var base = {
      title: { text: plotText(title), font: { size: 14 } },
      margin: { l: 70, r: 20, t: 40, b: 110 },
      xaxis: { title: { text: plotText(xTitle) }, automargin: true },
      yaxis: { title: { text: plotText(yTitle) }, rangemode: "tozero" },
      legend: { orientation: "h", y: -0.3 },
      hovermode: "closest"
    };
    return Object.assign(base, extra || {});
  }

  function maxRateChart(data) {
    var ranked = data.candidates.filter(function (c) { return c.status === "ok" && c.max_rps !== null; });
    var node = document.getElementById("maxRateChart");
    if (!ranked.length) {
      node.textContent = "No candidate met the SLO.";
      return;
    }
    var trace = {
      type: "bar",
      x: ranked.map(function (c) { return plotText(c.key); }),
      y: ranked.map(function (c) { return c.max_rps; }),
      marker: { color: ranked.map(color) },
      error_y: {
        type: "data",
        symmetric: false,
        array: ranked.map(function (c) { return c.range_rps ? c.range_rps[1] - c.max_rps : 0; }),
        arrayminus: ranked.map(function (c) { return c.range_rps ? c.max_rps - c.range_rps[0] : 0; }),
        color: "#444"
      },
      hovertemplate: "%{x}: %{y:,.1f} req/s<extra></extra>"
    };
    Plotly.newPlot(node, [trace], layout("Highest rate at the SLO", "candidate", "req/s"),
      { displaylogo: false, responsive: true });
  }

  function latencyChart(data, nodeId, field, title, limitMs) {
    var node = document.getElementById(nodeId);
    var open = data.load.model === "open";
    var traces = [];
    var seenModes = {};
    data.candidates.forEach(function (c) {
      var trials = [];
      c.measurements.forEach(function (m) { trials = trials.concat(m.trials); });
      trials = trials.filter(function (t) { return t.outcome === "passed" || t.outcome === "failed"; });
      if (!trials.length) {
        return;
      }
      trials.sort(function (a, b) { return (open ? a.level - b.level : a.rps - b.rps); });
      var dash = DASHES[(seenModes[c.mode] = (seenModes[c.mode] || 0) + 1) % DASHES.length];
      traces.push({
        type: "scatter",
        mode: "lines+markers",
        name: plotText(c.key),
        x: trials.map(function (t) { return open ? t.level : t.rps; }),
        y: trials.map(function (t) { return Math.max(t[field], 0.01); }),
        line: { color: color(c), dash: dash, width: 1.5 },
        marker: {
          color: color(c),
          size: 7,
          symbol: trials.map(function (t) { return t.outcome === "passed" ? "circle" : "x"; })
        },
        visible: c.status === "ok" ? true : "legendonly",
        hovertemplate: "%{x:,.1f} req/s: %{y:,.1f} ms<extra>%{fullData.name}</extra>"
      });
    });
    if (!traces.length) {
      node.textContent = "No trial to draw.";
      return;
    }
    var shapes = [];
    if (limitMs) {
      shapes.push({ type: "line", xref: "paper", x0: 0, x1: 1, y0: limitMs, y1: limitMs,
        line: { color: "#d62728", dash: "dash", width: 1 } });
    }
    var xTitle = open ? "arrival rate (req/s)" : "throughput with users (req/s)";
    Plotly.newPlot(node, traces, layout(title, xTitle, "ms",
      { yaxis: { title: { text: "ms (log)" }, type: "log" }, shapes: shapes }),
      { displaylogo: false, responsive: true });
  }

  var data = JSON.parse(document.getElementById("surge-data").textContent);
  maxRateChart(data);
  latencyChart(data, "p99Chart", "p99_ms", "p99 latency vs rate (dashed red: the SLO's limit)", data.p99_limit_ms);
  latencyChart(data, "p50Chart", "p50_ms", "p50 latency vs rate", data.p50_limit_ms);
}());
