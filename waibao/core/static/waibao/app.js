// Waibao's small behaviours. No inline scripts anywhere, so a strict Content-Security-Policy can hold.
(function () {
  "use strict";

  // Confirmations: <button data-confirm="Are you sure?">
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  // Auto-submit filter forms: <select data-autosubmit>
  document.addEventListener("change", function (event) {
    var el = event.target.closest("[data-autosubmit]");
    if (el && el.form) { el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit(); }
  });

  // Charts: <div class="chart" data-chart="id-of-json-script"></div>; the JSON is an ECharts option.
  function drawCharts(root) {
    if (!window.echarts) { return; }
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      var source = document.getElementById(el.dataset.chart);
      if (!source) { return; }
      var option = JSON.parse(source.textContent);
      // Tooltips are drawn on the canvas: ECharts' HTML tooltips are markup with style attributes,
      // which the Content-Security-Policy (style-src 'self') refuses.
      [].concat(option.tooltip || []).forEach(function (tooltip) { tooltip.renderMode = "richText"; });
      var chart = window.echarts.init(el);
      chart.setOption(option);
      el.dataset.drawn = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSwap", function (event) { drawCharts(event.target); });

  // Copy buttons: <button data-copy="#element">
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-copy]");
    if (!el) { return; }
    var target = document.querySelector(el.getAttribute("data-copy"));
    if (target && navigator.clipboard) { navigator.clipboard.writeText(target.textContent.trim()); el.textContent = "✓"; }
  });
})();
