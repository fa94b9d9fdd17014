/* The export, concordance and feed links of the search page follow the search the
   address bar shows (the page updates it in place as you type): their address is
   rebuilt from location.search when they are used. No inline script (CSP). */
(function () {
  "use strict";
  var box = document.getElementById("export-links");
  if (!box || !window.URLSearchParams) { return; }
  var drop = (box.getAttribute("data-drop") || "").split(" ");
  function refresh(a) {
    var p = new URLSearchParams(window.location.search);
    drop.forEach(function (k) { p.delete(k); });
    if (a.getAttribute("data-drop-sort")) { p.delete("sort"); }
    if (a.getAttribute("data-format")) { p.set("format", a.getAttribute("data-format")); }
    var qs = p.toString();
    a.setAttribute("href", a.getAttribute("data-base") + (qs ? "?" + qs : ""));
  }
  Array.prototype.forEach.call(box.querySelectorAll("a[data-base]"), function (a) {
    ["mousedown", "focus", "click", "contextmenu"].forEach(function (ev) {
      a.addEventListener(ev, function () { refresh(a); });
    });
  });
}());
