// A page that comes back with errors: focus on its error summary, so the clerk starts there
// rather than at the top of a long form (WCAG 2.4.3). A file, not inline: the CSP allows no inline script.
(function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.scrollIntoView({block: "start"});
  }
})();
