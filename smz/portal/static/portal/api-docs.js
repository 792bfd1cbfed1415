/* 接口文档 (portal/api_docs.html): start the vendored Swagger UI; session calls carry the CSRF token. */
(() => {
  "use strict";
  const config = JSON.parse(document.getElementById("swagger-settings").textContent);
  const csrfToken = document.body.dataset.csrfToken;
  config.dom_id = "#swagger-ui";
  config.presets = [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset];
  config.requestInterceptor = (request) => {
    if (csrfToken) request.headers["X-CSRFToken"] = csrfToken;
    return request;
  };
  window.ui = SwaggerUIBundle(config);
})();
