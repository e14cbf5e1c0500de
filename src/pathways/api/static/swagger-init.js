// Starts Swagger UI on /api/v1/docs: the options come from the container's data- attributes, so the
// page needs no inline script (the Content-Security-Policy allows scripts from this server only).
(function () {
  var container = document.getElementById("swagger-ui-container");
  var config = JSON.parse(container.getAttribute("data-options") || "{}");
  config.url = container.getAttribute("data-spec-url");
  config.dom_id = "#swagger-ui-container";
  window.ui = SwaggerUIBundle(config);
})();
