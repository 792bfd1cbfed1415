"""Schemathesis against the /api/v1/ OpenAPI, in-process (issue 10 item 8, N3): no 500, no undocumented status.

Every operation of the published OpenAPI document is fed generated requests, valid and invalid by its schema,
by a real persona (the GC's labor specialist, who may write the roster) holding an API token, through the whole
Django WSGI stack, so authentication, the error handlers and the database constraints all apply. About half of
the requests carry the path ids of real objects in the persona's scope, so that writes reach the services and
the database instead of stopping at 404.

A bounded, repeatable run for CI: EXAMPLES_PER_OPERATION cases per operation, derandomized (the same cases on
every run), no example database. Every operation is run, and all failures are reported together with a curl
line to reproduce each. Repeat by hand with: `.venv/bin/python -m pytest -q tests/system/test_api_fuzz.py`.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from config.api import api
from smz.accounts.services import api_token_create

# Deeper runs by hand: SMZ_FUZZ_EXAMPLES=500 .venv/bin/python -m pytest -q tests/system/test_api_fuzz.py
EXAMPLES_PER_OPERATION = int(os.environ.get("SMZ_FUZZ_EXAMPLES", "25"))
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
# A 500, a status the OpenAPI does not declare for the operation, a body that does not match its schema.
CHECKS = (not_a_server_error, status_code_conformance, response_schema_conformance)


def _schema() -> Any:
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1/"))
    schema.app = get_wsgi_application()
    return schema


def _real_ids(world) -> dict[str, int | str]:
    """Path parameter → an object the persona may read and write."""
    return {
        "project_id": world.projects["p1"].pk,
        "team_id": world.teams["gc"].pk,
        "worker_id": world.workers["gc"].pk,
        "employment_id": world.employments["gc"].pk,
        "table": "work_type",
    }


def _summary(exc: BaseException) -> str:
    return re.sub(r"\s+", " ", str(exc))[:800]


@pytest.mark.django_db
def test_item8_schemathesis_no_server_error_no_undocumented_status(world, keep_test_connection):
    """Every /api/v1/ operation × generated input: never a 500; every status and body as the OpenAPI says."""
    user = world.user("gc_labor")
    headers = {"Authorization": f"Bearer {api_token_create(actor=user, user=user, name='fuzz')}"}
    real = _real_ids(world)
    operations = [result.ok() for result in _schema().get_all_operations()]
    assert len(operations) >= 20, "the OpenAPI lost operations"
    failures: list[str] = []
    for operation in operations:
        cases = st.one_of(*(operation.as_strategy(mode) for mode in MODES))

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=cases, use_real_ids=st.booleans())
        def check(case: Any, use_real_ids: bool) -> None:
            if use_real_ids:
                for name in case.path_parameters or {}:
                    if name in real:
                        case.path_parameters[name] = real[name]
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # report every operation, not only the first
            failures.append(f"{operation.method.upper()} {operation.path}: {_summary(exc)}")
    assert not failures, "\n".join(failures)
