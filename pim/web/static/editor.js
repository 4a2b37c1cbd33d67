// The product editor: rich text, GTIN check as you type, option search, the locale/channel
// switcher, Ctrl+S, focusing the field a completeness link names, and showing the save's
// answer (422 with the fields' messages, 409 with the merge) in place. No inline scripts
// (the Content-Security-Policy forbids them); everything hangs off data- attributes.
(function () {
  "use strict";

  // htmx copies "style" attributes while settling a swap, which the Content-Security-Policy
  // (style-src 'self') refuses; nothing here is styled inline.
  if (window.htmx) window.htmx.config.attributesToSettle = ["class", "width", "height"];

  function each(root, selector, fn) {
    Array.prototype.forEach.call(root.querySelectorAll(selector), fn);
  }

  // -- rich text: a contenteditable over the textarea, which stays the submitted value ----
  var COMMANDS = [
    ["bold", "Bold", "Bold (Ctrl+B)"], ["italic", "Italic", "Italic (Ctrl+I)"],
    ["insertUnorderedList", "List", "Bulleted list"], ["insertOrderedList", "Numbered", "Numbered list"],
    ["h3", "Heading", "Heading"], ["createLink", "Link", "Link the selected text"],
    ["removeFormat", "Clear", "Clear formatting"]
  ];

  function richText(textarea) {
    if (textarea.dataset.enhanced) return;
    textarea.dataset.enhanced = "1";
    var box = document.createElement("div");
    box.className = "rte";
    var bar = document.createElement("div");
    bar.className = "rte-toolbar";
    bar.setAttribute("role", "toolbar");
    var label = document.querySelector('label[for="' + textarea.id + '"]');
    bar.setAttribute("aria-label", "Formatting" + (label ? " of " + label.textContent : ""));
    var area = document.createElement("div");
    area.className = "rte-area";
    area.contentEditable = "true";
    area.setAttribute("role", "textbox");
    area.setAttribute("aria-multiline", "true");
    if (label) {
      label.id = label.id || textarea.id + "-label";
      area.setAttribute("aria-labelledby", label.id);
      label.setAttribute("for", textarea.id + "-rte");
    }
    area.id = textarea.id + "-rte";
    ["aria-describedby", "aria-invalid"].forEach(function (name) {
      if (textarea.hasAttribute(name)) area.setAttribute(name, textarea.getAttribute(name));
    });
    area.innerHTML = textarea.value;
    COMMANDS.forEach(function (command) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = command[1];
      button.title = command[2];
      button.addEventListener("mousedown", function (event) { event.preventDefault(); });
      button.addEventListener("click", function () {
        area.focus();
        if (command[0] === "h3") {
          document.execCommand("formatBlock", false, "h3");
        } else if (command[0] === "createLink") {
          var url = window.prompt("Link to (https://…)", "https://");
          if (url && /^(https?:|mailto:)/i.test(url)) document.execCommand("createLink", false, url);
        } else {
          document.execCommand(command[0], false, null);
        }
        sync();
      });
      bar.appendChild(button);
    });
    var source = document.createElement("button");
    source.type = "button";
    source.className = "button-quiet rte-source";
    source.textContent = "Edit HTML";
    source.setAttribute("aria-pressed", "false");
    source.addEventListener("click", function () {
      var showing = textarea.hidden;
      textarea.hidden = !showing;
      box.hidden = showing;
      source.setAttribute("aria-pressed", showing ? "true" : "false");
      source.textContent = showing ? "Edit formatted" : "Edit HTML";
      if (!showing) area.innerHTML = textarea.value;
      (showing ? textarea : area).focus();
    });
    function sync() {
      textarea.value = area.innerHTML;
      textarea.dispatchEvent(new Event("input", {bubbles: true}));
    }
    area.addEventListener("input", sync);
    box.appendChild(bar);
    box.appendChild(area);
    textarea.hidden = true;
    textarea.parentNode.insertBefore(box, textarea);
    textarea.parentNode.insertBefore(source, textarea.nextSibling);
    textarea.addEventListener("focus", function () { if (textarea.hidden) area.focus(); });
  }

  // -- GTIN: the GS1 check digit, as you type -------------------------------------------
  function gtinMessage(text) {
    if (text === "") return ["", ""];
    if (!/^[0-9]+$/.test(text)) return ["bad", "Only digits: a GTIN has 8, 12, 13 or 14 digits."];
    if ([8, 12, 13, 14].indexOf(text.length) < 0) {
      return ["bad", text.length + " digits: a GTIN has 8, 12, 13 or 14."];
    }
    var body = text.slice(0, -1), total = 0;
    for (var i = 0; i < body.length; i++) {
      var digit = +body[body.length - 1 - i];
      total += i % 2 === 0 ? digit * 3 : digit;
    }
    var check = (10 - total % 10) % 10;
    if (check !== +text[text.length - 1]) {
      return ["bad", "Wrong check digit: it should be " + check + " for these digits."];
    }
    return ["ok", "Valid GTIN-" + text.length + "."];
  }

  function gtin(input) {
    if (input.dataset.enhanced) return;
    input.dataset.enhanced = "1";
    var live = document.getElementById(input.id + "-live");
    function check() {
      var result = gtinMessage(input.value.trim());
      if (!live) return;
      live.classList.remove("ok", "bad");
      if (result[0]) live.classList.add(result[0]);
      live.textContent = result[1] || "GTIN-8, -12, -13 or -14, check digit verified.";
    }
    input.addEventListener("input", check);
    if (input.value) check();
  }

  // -- option search ----------------------------------------------------------------------
  function optionFilter(input) {
    if (input.dataset.enhanced) return;
    input.dataset.enhanced = "1";
    input.addEventListener("input", function () {
      var target = document.getElementById(input.dataset.filterFor);
      if (!target) return;
      var wanted = input.value.trim().toLowerCase();
      var items = target.tagName === "SELECT" ? target.options : target.querySelectorAll("li");
      Array.prototype.forEach.call(items, function (item) {
        var match = !wanted || item.textContent.toLowerCase().indexOf(wanted) >= 0 ||
          (item.selected || (item.querySelector && item.querySelector("input:checked")));
        item.hidden = !match;
      });
    });
  }

  // -- locale / channel switcher: changing a select shows it --------------------------------
  function autosubmit(form) {
    if (form.dataset.enhanced) return;
    form.dataset.enhanced = "1";
    each(form, "select", function (select) {
      select.addEventListener("change", function () { form.requestSubmit(); });
    });
  }

  // -- focus the field a link or the URL names --------------------------------------------
  function focusField(id) {
    var field = document.getElementById(id);
    if (!field) return false;
    var rte = document.getElementById(id + "-rte");
    var target = rte && !rte.closest("[hidden]") ? rte : field;
    var group = target.closest("details");
    if (group) group.open = true;
    target.focus({preventScroll: true});
    target.scrollIntoView({block: "center"});
    return true;
  }

  function enhance(root) {
    each(root, "textarea[data-richtext]", richText);
    each(root, "input[data-gtin]", gtin);
    each(root, "input[data-filter-for]", optionFilter);
    each(root, "form[data-autosubmit]", autosubmit);
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
    if (location.hash.indexOf("#f-") === 0) focusField(location.hash.slice(1));
  });
  document.addEventListener("htmx:load", function (event) { enhance(event.detail.elt); });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-focus-field]");
    if (!link) return;
    var url = new URL(link.href, location.href);
    if (url.pathname === location.pathname && url.search === location.search) {
      if (focusField(link.dataset.focusField)) {
        event.preventDefault();
        history.replaceState(null, "", url.hash);
      }
    }
  });

  // Unsaved changes: typed into the form since it was shown, or shown back by a refused
  // save (data-unsaved). Leaving the page asks first; a save clears it.
  function unsaved() {
    var form = document.querySelector("form[data-editor-form]");
    return !!form && (form.dataset.dirty === "1" || form.dataset.unsaved === "1");
  }
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("form[data-editor-form]");
    if (form) form.dataset.dirty = "1";
  });
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form[data-editor-form]");
    if (form) form.dataset.dirty = "1";
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("form[data-editor-form]")) {
      form.dataset.dirty = "";
      form.dataset.unsaved = "";
    } else if (form.matches && form.matches("form[data-autosubmit]") && unsaved() &&
               !window.confirm("You have unsaved changes. Show another locale or channel " +
                               "and lose them?")) {
      event.preventDefault();
    }
  }, true);
  window.addEventListener("beforeunload", function (event) {
    if (!unsaved()) return;
    event.preventDefault();
    event.returnValue = "";
  });

  // Ctrl+S (Cmd+S) saves the editor's form.
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && (event.key === "s" || event.key === "S")) {
      var form = document.querySelector("form[data-editor-form]");
      if (!form) return;
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // A refused save (422) and a merge (409) answer the page with the messages: show it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var target = event.detail.target;
    if ((status === 409 || status === 422) && target && target.id === "editor-root") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "editor-root") return;
    var root = document.getElementById("editor-root");
    var invalid = root && root.querySelector("[aria-invalid='true']");
    var merge = root && root.querySelector("#merge");
    if (merge) {
      var first = merge.querySelector("input[type=radio]");
      if (first) first.focus();
    } else if (invalid) {
      focusField(invalid.id.replace(/-rte$/, ""));
    } else {
      var notice = document.getElementById("editor-notice");
      if (notice && notice.textContent.trim()) notice.focus();
    }
  });
})();
