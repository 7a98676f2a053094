// 「印刷」 buttons (data-print): the browser's print dialog. A file, not inline: the CSP allows no inline script.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
