// The product grid: "select every product on this page" for the bulk actions, and the count
// of selected products beside them. Delegated, so it holds across htmx swaps of #grid.
(function () {
  "use strict";

  function boxes() {
    return document.querySelectorAll('input[name="sku"][form="bulk-form"]');
  }

  function showCount() {
    var count = document.getElementById("bulk-count");
    if (!count) return;
    var selected = 0;
    boxes().forEach(function (box) { if (box.checked) selected += 1; });
    count.textContent = selected ? selected + " selected:" : "Select products below, then:";
    document.querySelectorAll("#bulk-form button").forEach(function (button) {
      button.disabled = selected === 0;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target || !target.matches) return;
    if (target.matches("[data-bulk-all]")) {
      boxes().forEach(function (box) { box.checked = target.checked; });
      showCount();
    } else if (target.matches('input[name="sku"][form="bulk-form"]')) {
      showCount();
    }
  });
  // A refused bulk action answers its POST with the grid view it came from: show that view's
  // address, so a reload reads the grid rather than posting the action again.
  function showViewAddress() {
    var back = document.querySelector('#bulk-form input[name="back"]');
    if (back && back.value.charAt(0) === "/" && window.location.pathname === "/workflow/bulk") {
      window.history.replaceState(null, "", back.value);
    }
  }

  document.addEventListener("htmx:afterSettle", showCount);
  document.addEventListener("DOMContentLoaded", showCount);
  document.addEventListener("DOMContentLoaded", showViewAddress);
})();
