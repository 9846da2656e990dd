// SLA metric editor: the value box of a filter row offers the values of the field chosen in that row
// (the lists are rendered by the server from the contract's own records). Without it, the lists still
// follow the field after the form is redisplayed.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var select = event.target.closest(".metric-editor select.filter-field");
    if (!select) { return; }
    var editor = select.closest(".metric-editor");
    var row = select.closest("tr");
    var input = row && row.querySelector("input.filter-value");
    if (!editor || !input) { return; }
    var id = editor.dataset.prefix + "-values-" + select.value;
    if (select.value && document.getElementById(id)) {
      input.setAttribute("list", id);
    } else {
      input.removeAttribute("list");
    }
  });
})();
