// Draws the indicator page's charts with chart.js from the JSON the server put in
// the page. Every figure is also in the tables next to the charts, so without
// JavaScript (or without chart.js) the page loses nothing but the pictures.
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("indicator-chart-data");
    if (!source || typeof window.Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    var trend = document.getElementById("trend-chart");
    if (trend && data.trend.labels.length) {
      new window.Chart(trend, {
        type: "line",
        data: {
          labels: data.trend.labels,
          datasets: data.trend.datasets.map(function (set) {
            return { label: set.label, data: set.data, spanGaps: true, tension: 0.2 };
          })
        },
        options: {
          responsive: true,
          plugins: { title: { display: true, text: data.trend.title } },
          scales: { y: { min: 0, max: 100, title: { display: true, text: "%" } } }
        }
      });
    }
    var ranking = document.getElementById("ranking-chart");
    if (ranking && data.ranking.labels.length) {
      ranking.parentElement.style.height = Math.max(160, 28 * data.ranking.labels.length + 60) + "px";
      new window.Chart(ranking, {
        type: "bar",
        data: {
          labels: data.ranking.labels,
          datasets: [{ label: data.ranking.title, data: data.ranking.data }]
        },
        options: {
          indexAxis: "y",
          responsive: true,
          maintainAspectRatio: false,
          plugins: { legend: { display: false }, title: { display: true, text: data.ranking.title } }
        }
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
