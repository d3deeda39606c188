// Embedded pages (/embed/...): tell the framing page how tall this page is, whenever that
// changes, so it can size its <iframe> without a scroll bar. The message goes only to the
// origins the operator allowed (FRAME_ANCESTORS, on <body data-embed-origins>).
(function () {
  "use strict";
  if (window.parent === window) {
    return;
  }
  var origins = [];
  var lastHeight = 0;
  function postHeight() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === lastHeight) {
      return;
    }
    lastHeight = height;
    origins.forEach(function (origin) {
      window.parent.postMessage({ type: "samenwerkingswijzer:height", height: height }, origin);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    origins = (document.body.getAttribute("data-embed-origins") || "").split(" ").filter(Boolean);
    postHeight();
    if (window.ResizeObserver) {
      new ResizeObserver(postHeight).observe(document.documentElement);
    } else {
      window.addEventListener("resize", postHeight);
    }
  });
  window.addEventListener("load", postHeight);
})();
