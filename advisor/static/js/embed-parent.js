// For the framing page (a municipality's portal): sizes every
// <iframe data-samenwerkingswijzer src="https://<service>/embed/"> to the height its page reports.
// Only messages from the frame's own window and origin are read.
(function () {
  "use strict";
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || data.type !== "samenwerkingswijzer:height" || typeof data.height !== "number") {
      return;
    }
    document.querySelectorAll("iframe[data-samenwerkingswijzer]").forEach(function (frame) {
      if (frame.contentWindow === event.source && new URL(frame.src, document.baseURI).origin === event.origin) {
        frame.style.height = Math.max(0, Math.min(data.height, 100000)) + "px";
      }
    });
  });
})();
