/* surge report: draws a chart page's charts with Plotly (zoom, hover values, legend toggles). */
"use strict";

(function () {
  var S = window.Surge;
  var OTHER_COLOR = "#8c8c8c";

  function granularityText(ms) {
    if (!ms) {
      return "";
    }
    if (ms % 3600000 === 0) {
      return ms / 3600000 + " h";
    }
    if (ms % 60000 === 0) {
      return ms / 60000 + " min";
    }
    if (ms % 1000 === 0) {
      return ms / 1000 + " s";
    }
    return ms + " ms";
  }

  function trace(chart, series) {
    // An empty label (e.g. a thread name without group) would leave a blank legend entry.
    var name = series.label === "" ? "(empty)" : S.plotText(series.label);
    var t = { x: series.x, y: series.y, name: name, type: "scatter", mode: "lines+markers" };
    var extra = "<extra>%{fullData.name}</extra>";
    switch (chart.kind) {
      case "time_lines":
        t.mode = series.x.length > 300 ? "lines" : "lines+markers";
        t.hovertemplate = "%{x|%Y-%m-%d %H:%M:%S}<br>%{y:,.2f}" + extra;
        break;
      case "time_stacked":
        t.mode = "lines";
        t.stackgroup = "stack";
        t.hovertemplate = "%{x|%Y-%m-%d %H:%M:%S}<br>%{y:,.2f}" + extra;
        break;
      case "steps":
        t.mode = "lines";
        t.line = { shape: "hv" };
        t.hovertemplate = "%{x:.1f} %: %{y:,.2f} ms" + extra;
        break;
      case "markers":
        t.mode = "markers";
        t.hovertemplate = "%{x} requests/s: %{y:,.2f} ms" + extra;
        break;
      case "bars":
        t.type = "bar";
        delete t.mode;
        // Bars span their bucket [x, x + granularity), stacked by label.
        t.offset = 0;
        t.width = chart.granularityMs || undefined;
        t.customdata = series.x.map(function (x) {
          return x + (chart.granularityMs || 0);
        });
        t.hovertemplate = "%{y} responses for %{fullData.name} were between %{x} and %{customdata} ms" +
          "<extra></extra>";
        break;
      case "categories":
        t.type = "bar";
        delete t.mode;
        if (series.color) {
          t.marker = { color: series.color };
        }
        t.x = series.x.map(S.plotText);
        t.hovertemplate = "%{y}" + extra;
        break;
      default:
        t.hovertemplate = "%{x}: %{y:,.2f}" + extra;
    }
    if (series.isOther) {
      // The labels not drawn one by one, together: grey and dotted, so it never reads as a label.
      if (t.type === "bar") {
        t.marker = { color: OTHER_COLOR };
      } else {
        t.line = Object.assign({}, t.line, { color: OTHER_COLOR, dash: "dot" });
        t.marker = { color: OTHER_COLOR };
        if (t.mode === "lines+markers") {
          t.mode = "lines"; // markers would hide the dots
        }
        if (t.stackgroup) {
          t.fillcolor = "rgba(140, 140, 140, 0.35)";
        }
      }
    }
    return t;
  }

  function axisLayout(chart, timezone) {
    var x = { title: { text: S.plotText(chart.xTitle) }, automargin: true };
    var y = { title: { text: S.plotText(chart.yTitle) }, automargin: true, rangemode: "tozero" };
    // Plotly hides the legend of a one-series chart; the series name (a response code, a label)
    // is information, so it is always shown.
    var extra = { xaxis: x, yaxis: y, showlegend: true };
    if (chart.kind.indexOf("time_") === 0) {
      x.type = "date";
      var gran = granularityText(chart.granularityMs);
      x.title.text = S.plotText("Time (" + timezone + (gran ? ", " + gran + " buckets" : "") + ")");
    } else if (chart.kind === "steps") {
      x.range = [0, 100];
      x.ticksuffix = " %";
    } else if (chart.kind === "bars") {
      extra.barmode = "stack";
    } else if (chart.kind === "categories") {
      x.type = "category";
      x.categoryorder = "array";
      x.categoryarray = (chart.categories || []).map(S.plotText);
      x.tickvals = x.categoryarray;
      x.ticktext = x.categoryarray.map(function (label) {
        return label.replace(/\n/g, "<br>");
      });
      extra.barmode = "relative";
      extra.showlegend = false;
    }
    return extra;
  }

  function draw(node, chart, timezone) {
    var traces = chart.series.map(function (series) {
      return trace(chart, series);
    });
    var layout = S.layout(axisLayout(chart, timezone));
    var points = chart.series.reduce(function (sum, s) {
      return sum + s.x.length;
    }, 0);
    if (points === 0) {
      layout.annotations = [{ text: "No data", showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5 }];
    }
    window.Plotly.newPlot(node, traces, layout, S.config());
  }

  function main() {
    var data = S.readData();
    data.charts.forEach(function (chart) {
      var node = document.getElementById("chart-" + chart.id);
      if (node) {
        draw(node, chart, data.timezone);
      }
    });
  }

  main();
})();
