// The hub's page script: keyboard shortcuts and htmx glue. No inline scripts anywhere
// (the Content-Security-Policy forbids them); pages opt in through data- attributes.
(function () {
  "use strict";

  // "/" focuses the page's search field (the first [data-search-focus]), unless typing.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var tag = target && target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) return;
    var field = document.querySelector("[data-search-focus]");
    if (!field) return;
    event.preventDefault();
    field.focus();
    if (field.select) field.select();
  });

  // An htmx request that failed shows the server's message in the alert region.
  function showAlert(text) {
    var alert = document.getElementById("alert");
    if (!alert) return;
    alert.textContent = text;
    alert.hidden = false;
    window.clearTimeout(showAlert.timer);
    showAlert.timer = window.setTimeout(function () { alert.hidden = true; }, 8000);
  }
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    showAlert((xhr && xhr.responseText) || "The request failed (HTTP " + (xhr ? xhr.status : "?") + ").");
  });
  document.addEventListener("htmx:sendError", function () {
    showAlert("The server could not be reached. Check your connection and try again.");
  });
})();
