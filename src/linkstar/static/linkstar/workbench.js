/* Workbench: the per-platform funnel chart, from the JSON the page carries in #funnel-data. */
(function () {
  "use strict";

  const source = document.getElementById("funnel-data");
  const canvas = document.getElementById("funnel-chart");
  if (!source || !canvas || !window.Chart) return;
  // The view passes the funnel as a JSON text, which json_script encodes once more.
  const data = JSON.parse(JSON.parse(source.textContent));
  const colors = {preparing: "#adb5bd", under_review: "#0dcaf0", opened: "#198754", rejected: "#dc3545"};
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: data.series.map(function (s) {
        return {label: s.label, data: s.data, backgroundColor: colors[s.key]};
      })
    },
    options: {responsive: true, scales: {x: {stacked: true}, y: {stacked: true, ticks: {precision: 0}}}}
  });
})();
