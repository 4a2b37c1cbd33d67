// The dashboard's completeness chart (Chart.js), drawn from the JSON the page carries.
(function () {
  "use strict";
  var canvas = document.getElementById("completeness-chart");
  var source = document.getElementById("completeness-chart-data");
  if (!canvas || !source || !window.Chart) return;
  var data = JSON.parse(source.textContent);
  // One colour per locale: the accent first, then distinct hues of similar weight.
  var colours = ["#1d4ed8", "#0f766e", "#b45309", "#7c3aed", "#be123c", "#4d7c0f", "#0369a1"];
  data.datasets.forEach(function (set, i) {
    set.backgroundColor = colours[i % colours.length];
    set.borderRadius = 3;
    set.maxBarThickness = 28;
  });
  new window.Chart(canvas, {
    type: "bar",
    data: data,
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } } },
      plugins: {
        legend: { position: "bottom" },
        tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + c.parsed.y + "%"; } } }
      },
      // A bar opens the grid of that channel and locale's incomplete products.
      onClick: function (_event, elements) {
        if (!elements.length) return;
        var e = elements[0];
        var channel = data.labels[e.index], locale = data.datasets[e.datasetIndex].label;
        window.location.href = "/products?channel=" + encodeURIComponent(channel) +
          "&locale=" + encodeURIComponent(locale) + "&band=incomplete";
      }
    }
  });
})();
