// A filter box over a long list of ticks (div.filterable, a CheckboxSelectMultiple): typing
// hides the choices whose label does not contain the text. Without scripts the list still
// works; the script only adds the box. No other host, no eval (CSP: script-src 'self').
(function () {
  "use strict";
  var script = document.currentScript;
  var placeholder = (script && script.dataset.placeholder) || "Filter";
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/ё/g, "е");
  }
  function enhance(list) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "filter-box";
    box.placeholder = placeholder;
    box.setAttribute("aria-label", placeholder);
    box.setAttribute("aria-controls", list.id);
    box.autocomplete = "off";
    var items = Array.prototype.slice.call(list.children);
    box.addEventListener("input", function () {
      var wanted = fold(box.value.trim());
      items.forEach(function (item) {
        var input = item.querySelector("input");
        var keep = !wanted || (input && input.checked) || fold(item.textContent).indexOf(wanted) !== -1;
        item.hidden = !keep;
      });
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }  // Enter filters; it does not send the form
    });
    list.parentNode.insertBefore(box, list);
  }
  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("div.filterable"), enhance);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
