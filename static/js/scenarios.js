// "Hva om" pages: draws the charts from <script type="application/json"> blocks (no inline JS: CSP).
// <canvas data-scenario-chart="KIND"> reads the block with id "scenario-KIND" (or data-source).
(function () {
  const data = (id) => JSON.parse(document.getElementById(id).textContent);
  const nb = new Intl.NumberFormat("nb-NO", { maximumFractionDigits: 0 });
  const kr = (v) => nb.format(v) + " kr";
  const ACTUAL = "#6c757d";
  const SCENARIO = "#0d6efd";
  const base = { maintainAspectRatio: false, animation: false };
  const drawers = {
    // Monthly totals, real rates and the scenario's, side by side.
    months: (canvas, d) => new Chart(canvas, {
      type: "bar",
      data: {
        labels: d.labels,
        datasets: [
          { label: "Virkelige satser", data: d.actual.map(Number), backgroundColor: ACTUAL },
          { label: "Scenario", data: d.scenario.map(Number), backgroundColor: SCENARIO },
        ],
      },
      options: { ...base, scales: { y: { beginAtZero: true, ticks: { callback: kr } } },
                 plugins: { tooltip: { callbacks: { label: (c) => c.dataset.label + ": " + kr(c.parsed.y) } } } },
    }),
    // How many lists lose, stay and gain, by how much.
    histogram: (canvas, d) => new Chart(canvas, {
      type: "bar",
      data: {
        labels: d.labels,
        datasets: [{ label: "Lister", data: d.values,
                     backgroundColor: d.sides.map((s) => ({ lose: "#dc3545", same: ACTUAL, gain: "#198754" })[s]) }],
      },
      options: { ...base, plugins: { legend: { display: false } },
                 scales: { x: { title: { display: true, text: "Endring i kroner" } },
                           y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "Lister" } } } },
    }),
    // Payment per month against list size: the knekkpunkt is the kink, the cap the flat end.
    curve: (canvas, d) => {
      if (!d.basis) return null;
      const names = { actual: "Virkelige satser", scenario: "Scenario" };
      const colours = { actual: ACTUAL, scenario: SCENARIO };
      const points = (values) => d.basis.n.map((n, i) => ({ x: n, y: Number(values[i]) }));
      const datasets = [];
      Object.keys(d.basis.series).forEach((key) => {
        datasets.push({ label: names[key], data: points(d.basis.series[key]), borderColor: colours[key],
                        backgroundColor: colours[key], pointRadius: 0, borderWidth: 2 });
        datasets.push({ label: names[key] + " med grunntilskudd", data: points(d.grunntilskudd.series[key]),
                        borderColor: colours[key], borderDash: [5, 4], pointRadius: 0, borderWidth: 1 });
      });
      return new Chart(canvas, {
        type: "line",
        data: { datasets },
        options: { ...base, parsing: false, interaction: { mode: "nearest", axis: "x", intersect: false },
                   scales: { x: { type: "linear", title: { display: true, text: "Pasienter på listen" },
                                  ticks: { callback: (v) => nb.format(v) } },
                             y: { beginAtZero: true, ticks: { callback: kr } } } },
      });
    },
    // "Effekt av handlingsplanen": knekkpunkt effect and grunntilskudd (kr), agreements active (count).
    report: (canvas, d) => new Chart(canvas, {
      data: {
        labels: d.labels,
        datasets: [
          { type: "bar", label: "Knekkpunkteffekt", data: d.effect.map(Number), backgroundColor: SCENARIO, yAxisID: "y" },
          { type: "bar", label: "Grunntilskudd", data: d.grunntilskudd.map(Number), backgroundColor: "#198754", yAxisID: "y" },
          { type: "line", label: "Introduksjonsavtaler", data: d.introduksjon, borderColor: "#fd7e14", yAxisID: "y1", pointRadius: 0 },
          { type: "line", label: "ALIS-avtaler", data: d.alis, borderColor: "#6f42c1", yAxisID: "y1", pointRadius: 0 },
        ],
      },
      options: { ...base, scales: { y: { ticks: { callback: kr } },
                                    y1: { position: "right", beginAtZero: true, ticks: { precision: 0 },
                                          grid: { drawOnChartArea: false }, title: { display: true, text: "Avtaler" } } } },
    }),
  };
  document.querySelectorAll("canvas[data-scenario-chart]").forEach((canvas) => {
    const kind = canvas.dataset.scenarioChart;
    if (drawers[kind]) drawers[kind](canvas, data(canvas.dataset.source || "scenario-" + kind));
  });
})();
