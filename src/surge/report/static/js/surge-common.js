/* surge report: helpers shared by every page.
 * Data comes from results files, which are untrusted: it is read with JSON.parse from a
 * <script type="application/json"> block and written with textContent only. Text given to Plotly is
 * HTML-escaped first, because Plotly renders a subset of HTML in legends, titles and hover labels. */
"use strict";

window.Surge = (function () {
  var PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#ad494a", "#637939", "#8c6d31", "#7b4173", "#3182bd",
    "#e6550d", "#31a354", "#756bb1", "#636363"
  ];

  function readData() {
    var node = document.getElementById("surge-data");
    return JSON.parse(node.textContent);
  }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    if (className) {
      node.className = className;
    }
    return node;
  }

  /* Plotly turns &lt; &gt; &amp; back into characters, so escaped text shows literally. */
  function plotText(value) {
    return String(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  /* Non-finite numbers travel as the strings JMeter prints ("NaN", "Infinity"). */
  function toNumber(value) {
    if (typeof value === "number") {
      return value;
    }
    if (value === "Infinity") {
      return Infinity;
    }
    if (value === "-Infinity") {
      return -Infinity;
    }
    return parseFloat(value);
  }

  function fixed(value, decimals) {
    if (value === null || value === undefined || value === "") {
      return "";
    }
    if (typeof value !== "number") {
      return String(value);
    }
    return value.toFixed(decimals);
  }

  /* JMeter's duration format for APDEX thresholds ("500 ms", "1 sec 500 ms"), without its
   * one-day typo. */
  function formatDurationMs(value) {
    var ms = toNumber(value);
    if (!isFinite(ms)) {
      return String(value);
    }
    var units = [["day", 86400000], ["hour", 3600000], ["min", 60000], ["sec", 1000]];
    var parts = [];
    var rest = Math.round(ms);
    for (var i = 0; i < units.length; i++) {
      var count = Math.floor(rest / units[i][1]);
      if (count > 0) {
        parts.push(count + " " + units[i][0]);
        rest -= count * units[i][1];
      }
    }
    if (rest > 0 || parts.length === 0) {
      parts.push(rest + " ms");
    }
    return parts.join(" ");
  }

  function layout(extra) {
    var base = {
      autosize: true,
      height: 440,
      margin: { l: 70, r: 20, t: 20, b: 60 },
      font: { family: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size: 12 },
      colorway: PALETTE,
      hovermode: "closest",
      hoverlabel: { namelength: -1 },
      legend: { font: { size: 11 } },
      paper_bgcolor: "#ffffff",
      plot_bgcolor: "#ffffff"
    };
    return Object.assign(base, extra || {});
  }

  var CONFIG = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d"],
    toImageButtonOptions: { format: "png", scale: 2 }
  };

  return {
    readData: readData,
    el: el,
    plotText: plotText,
    toNumber: toNumber,
    fixed: fixed,
    formatDurationMs: formatDurationMs,
    layout: layout,
    config: function () {
      return Object.assign({}, CONFIG);
    }
  };
})();
