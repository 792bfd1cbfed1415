"""Schemathesis over the REST docking operations, signed as a docking app (issue 14 item 4, N3).

tests/system/test_api_fuzz.py fuzzes every /api/v1/ operation with a person's token: the docking operations answer
it 401 (documented). Here the same checks run with the app's HMAC signature over the exact bytes sent, so generated
bodies reach the methods: never a 500, never an undocumented status, every body as the OpenAPI says.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import urlencode

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from config.api import api
from smz.docking.methods import METHODS
from smz.docking.methods.base import Method
from smz.testing.docking import docking_app, rest_headers, thing_add

EXAMPLES = int(os.environ.get("SMZ_FUZZ_EXAMPLES", "40"))
CHECKS = (not_a_server_error, status_code_conformance, response_schema_conformance)


def _operations() -> list[Any]:
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1/"))
    schema.app = get_wsgi_application()
    return [op.ok() for op in schema.get_all_operations() if "/docking/" in op.ok().path]


@pytest.mark.django_db
def test_docking_operations_signed_fuzz(world, client, monkeypatch, keep_test_connection):
    monkeypatch.setitem(
        METHODS,
        "Thing.Add",
        Method("Thing.Add", thing_add, asynchronous=True, list_field="thingList"),
    )
    app, secret = docking_app(world, ("p1",))
    operations = _operations()
    assert len(operations) == 2
    real = {
        "method": st.sampled_from(["Project.Query", "AsyncHandleResult.Query", "Thing.Add"]),
        "serial": st.just("thing-add-none"),
    }
    failures: list[str] = []
    statuses: set[int] = set()
    for operation in operations:
        cases = st.one_of(
            *(operation.as_strategy(m) for m in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE))
        )

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        # "as generated", "real ids", or "a valid Thing.Add around the generated body" (so writes are stored).
        @given(case=cases, data=st.data(), scenario=st.sampled_from(["raw", "real", "thing"]))
        def check(case: Any, data: Any, scenario: str) -> None:
            key = data.draw(st.booleans())
            if scenario != "raw":
                for name in case.path_parameters or {}:
                    if name in real:
                        case.path_parameters[name] = data.draw(real[name])
            if scenario == "thing" and "method" in (case.path_parameters or {}):
                case.path_parameters["method"] = "Thing.Add"
                extra = case.body if isinstance(case.body, dict) else {}
                case.body = {
                    **extra,
                    "projectCode": world.projects["p1"].code,
                    "thingList": [{"name": "甲"}],
                }
                key = True
            sent = case.as_transport_kwargs()
            body = sent.get("data") or b""
            if isinstance(body, str):
                body = body.encode()
            if "json" in sent:
                body = json.dumps(sent["json"]).encode()
            path = sent["path"]
            query = sent.get("query_string")
            if query:
                path += "?" + (query if isinstance(query, str) else urlencode(query, doseq=True))
            headers = rest_headers(app, secret, case.method, path, body)
            if key:
                headers["Idempotency-Key"] = f"fuzz-{len(body)}"
            response = case.call_and_validate(headers=headers, checks=CHECKS, data=body)
            statuses.add(response.status_code)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:800]}")
    assert not failures, "\n".join(failures)
    # The signature let the cases through: answers from the methods, not only refusals at the door (the 401s
    # are schemathesis's own cases without the security header).
    # (Which generated bodies a query answers 200 depends on the generation, not on the code: the 200 path is
    # checked once directly below.)
    assert {202, 422} <= statuses, statuses
    query = "/api/v1/docking/calls/Project.Query"
    body = json.dumps({"pageIndex": 0, "pageSize": 10}).encode()
    direct = client.generic(
        "POST",
        query,
        body,
        content_type="application/json",
        headers=rest_headers(app, secret, "POST", query, body),
    )
    assert direct.status_code == 200, direct.content
