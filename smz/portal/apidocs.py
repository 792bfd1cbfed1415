"""接口文档: Swagger UI for /api/v1/ from vendored static files, with no inline script (CSP, offline intranets)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import Swagger

if TYPE_CHECKING:
    from ninja import NinjaAPI


class LocalSwagger(Swagger):
    """Swagger UI served from smz/portal/static/vendor/swagger-ui/, started by portal/api-docs.js."""

    template = "portal/api_docs.html"
    # No badge from validator.swagger.io: it would send the schema's address to a third party (and CSP
    # refuses the image anyway).
    default_settings = Swagger.default_settings | {"validatorUrl": None}

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        """The docs page; the settings travel as a JSON data block, never as script."""
        settings = self.settings | {"url": self.get_openapi_url(api, kwargs)}
        # "<" escaped so no value can close the data block.
        data = json.dumps(settings).replace("<", "\\u003c")
        return render(request, self.template, {"api": api, "swagger_settings": data})
