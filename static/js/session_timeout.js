// The warning before the idle timeout (WCAG 2.2.1, ADR 0048): shown data-warn-after seconds
// after the page loaded (the server counts the idle time from its last request), with a button
// that POSTs to the keep-alive endpoint and starts the count again. A file: the CSP allows no inline script.
(function () {
  var box = document.getElementById("session-warning");
  if (!box) { return; }
  var form = box.querySelector("[data-session-keepalive]");
  var warnAfter = parseInt(box.dataset.warnAfter, 10) * 1000;
  var idle = parseInt(box.dataset.idle, 10) * 1000;
  var timers = [];
  var returnFocus = null;

  function expired() {
    box.querySelector("[data-session-warning-text]").hidden = true;
    box.querySelector("[data-session-expired-text]").hidden = false;
    form.hidden = true;
    box.hidden = false;
  }
  function show() {
    returnFocus = document.activeElement;
    box.hidden = false;
    form.querySelector("button").focus();
  }
  function start() {
    timers.forEach(clearTimeout);
    // "Ended" a second late: the server counts whole seconds, and must have ended it by then.
    timers = [setTimeout(show, warnAfter), setTimeout(expired, idle + 1000)];
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin", redirect: "manual"})
      .then(function (response) {
        if (response.status !== 204) { expired(); return; }
        box.hidden = true;
        if (returnFocus && returnFocus.focus) { returnFocus.focus(); }
        start();
      }, expired);
  });
  start();
})();
