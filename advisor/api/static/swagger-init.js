/* Starts Swagger UI on /api/v1/docs. An external file, so a Content-Security-Policy without
   'unsafe-inline' allows it; the spec URL and settings come from data attributes of the page. */
window.addEventListener("load", function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  var config = {
    url: root.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null, /* the default would ask validator.swagger.io: stay offline */
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  };
  var extra = JSON.parse(root.getAttribute("data-config") || "{}");
  Object.keys(extra).forEach(function (key) { config[key] = extra[key]; });
  window.ui = SwaggerUIBundle(config);
});
