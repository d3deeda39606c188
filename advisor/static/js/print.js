// The advice page's "Print / save as PDF" button. It needs JavaScript, so it starts hidden
// and is shown only here; the browser's own print menu works without it.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    });
  });
})();
