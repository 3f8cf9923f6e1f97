// Draws the charts of a page from <script type="application/json"> blocks (no inline JS: CSP).
(function () {
  const data = (id) => JSON.parse(document.getElementById(id).textContent);
  const nb = new Intl.NumberFormat("nb-NO");
  const drawers = {
    "list-counts": (canvas, d) => new Chart(canvas, {
      type: "line",
      data: {
        labels: d.labels,
        datasets: [
          { label: "Pasienter", data: d.patients, borderColor: "#0d6efd", tension: 0.1 },
          { label: "Listetak", data: d.listetak, borderColor: "#dc3545", borderDash: [6, 4], pointRadius: 0, stepped: true },
        ],
      },
      options: { maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true, ticks: { callback: (v) => nb.format(v) } } } },
    }),
    patients: (canvas, d) => new Chart(canvas, {
      type: "line",
      data: { labels: d.labels, datasets: [{ label: "Pasienter", data: d.values, borderColor: "#0d6efd", fill: false }] },
      options: { maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } },
                 scales: { y: { ticks: { callback: (v) => nb.format(v) } } } },
    }),
    payments: (canvas, d) => new Chart(canvas, {
      type: "bar",
      data: { labels: d.labels, datasets: d.series.map((s) => ({ label: s.label, data: s.values.map(Number) })) },
      options: { maintainAspectRatio: false, animation: false, scales: { x: { stacked: true }, y: { stacked: true,
                 ticks: { callback: (v) => nb.format(v) + " kr" } } } },
    }),
    sizes: (canvas, d) => new Chart(canvas, {
      type: "bar",
      data: { labels: d.labels, datasets: [{ label: "Lister", data: d.values,
              backgroundColor: d.labels.map((l) => (l === d.knekkpunkt ? "#dc3545" : "#6c757d")) }] },
      options: { maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } },
                 scales: { x: { title: { display: true, text: d.x_axis } },
                           y: { beginAtZero: true, title: { display: true, text: d.axis }, ticks: { precision: 0 } } } },
    }),
  };
  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const kind = canvas.dataset.chart;
    if (drawers[kind]) drawers[kind](canvas, data(canvas.dataset.source || kind));
  });
})();
