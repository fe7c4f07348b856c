// The report page's charts, from the figures the page prints in its tables (json_script).
(function () {
  const data = JSON.parse(document.getElementById("report-charts").textContent);
  const bar = (id, rows, color) => {
    const el = document.getElementById(id);
    if (!el || !rows.length) return;
    new Chart(el, {
      type: "bar",
      data: {
        labels: rows.map((r) => r.name + " (n=" + r.n + ")"),
        datasets: [{ data: rows.map((r) => r.median), backgroundColor: rows.map((r) => (r.n >= 5 ? color : "#ced4da")) }],
      },
      options: { indexAxis: "y", plugins: { legend: { display: false } }, animation: false },
    });
  };
  bar("chart-platforms", data.platforms, "#0d6efd");
  bar("chart-bottlenecks", data.bottlenecks, "#dc3545");
  const opened = document.getElementById("chart-opened");
  if (opened && data.opened.length) {
    new Chart(opened, {
      data: {
        labels: data.opened.map((m) => m.month),
        datasets: [
          { type: "bar", data: data.opened.map((m) => m.opened), backgroundColor: "#198754" },
          { type: "line", data: data.opened.map((m) => m.total), borderColor: "#0d6efd" },
        ],
      },
      options: { plugins: { legend: { display: false } }, animation: false },
    });
  }
})();
