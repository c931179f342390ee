// Starts the page, and exposes a small read-only accessor the browser tests use.
(function (PP) {
  "use strict";
  const { page, $, PALETTE, GRID, colourOf, drawMap, drawLegend, submitCustomer, loadModel, loadMonitoring } = PP;

  window.purchasePage = {
    palette: PALETTE,
    colourOf,
    map: () => page.map && { gender: page.map.gender, threshold: page.map.threshold, rows: GRID.salaries,
      cols: GRID.ages, cells: page.map.cells, contour: page.map.contour },
    ready: () => Boolean(page.map) && document.querySelector("#monitoring-status") !== null,
  };

  document.addEventListener("DOMContentLoaded", () => {
    drawLegend();
    $("customer-form").addEventListener("submit", submitCustomer);
    $("gender").addEventListener("change", drawMap);
    loadModel();
    loadMonitoring();
  });
})(window.PP = window.PP || {});
