/* 工作台 charts: every <canvas data-chart="ID"> is drawn from the JSON in <script id="ID" type="application/json">
   (Django's json_script), so the page needs no inline script under the Content-Security-Policy. The same
   figures stand in a table beside each chart for readers without JavaScript. */
(function () {
  "use strict";
  var COLORS = ["#1d4e89", "#3fa34d", "#e0a100", "#c0392b", "#6f42c1", "#17a2b8"];

  function config(data) {
    var doughnut = data.type === "doughnut";
    var datasets = data.datasets.map(function (d, i) {
      var color = doughnut ? COLORS.slice(0, d.data.length) : COLORS[i % COLORS.length];
      return { label: d.label, data: d.data, backgroundColor: color, borderWidth: doughnut ? 1 : 0 };
    });
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: doughnut || datasets.length > 1, position: "bottom" } }
    };
    if (!doughnut) {
      var value = { beginAtZero: true, ticks: { precision: 0 } };
      if (data.percent) { value.max = 100; value.ticks.callback = function (v) { return v + "%"; }; }
      // Every town named on its axis: no label skipped when there are many.
      var category = { ticks: { autoSkip: false } };
      options.indexAxis = data.horizontal ? "y" : "x";
      options.scales = data.horizontal ? { x: value, y: category } : { y: value, x: category };
    }
    return { type: data.type, data: { labels: data.labels, datasets: datasets }, options: options };
  }

  function draw() {
    if (typeof window.Chart === "undefined") { return; }
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.getAttribute("data-chart"));
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      if (data.horizontal && data.labels.length > 8) {
        // A bar of ~22 px per label, set through the CSSOM (allowed under the CSP, unlike a style attribute).
        canvas.parentNode.style.height = (data.labels.length * 22 + 60) + "px";
      }
      new window.Chart(canvas, config(data));
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
