// Reloads a monitoring page every data-refresh-seconds (the element #auto-refresh), so it
// shows the current state without a click. A same-origin static script (the CSP allows no
// inline script); it waits while the reader is typing into one of the page's forms.
(function () {
  "use strict";
  var marker = document.getElementById("auto-refresh");
  if (!marker) { return; }
  var seconds = parseInt(marker.getAttribute("data-refresh-seconds"), 10) || 60;
  function busy() {
    var active = document.activeElement;
    if (active && active.form) { return true; }
    var fields = document.querySelectorAll("main input:not([type=hidden]), main textarea");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].value) { return true; }
    }
    return false;
  }
  function tick() {
    if (busy()) { window.setTimeout(tick, seconds * 1000); return; }
    window.location.reload();
  }
  window.setTimeout(tick, seconds * 1000);
}());
