"""The conformance kit (附件8, issue 14 item 6): its envelope and refusal checks against the gateway, its
synthetic identifiers, and that a gateway which does not refuse makes it fail (exit code 1)."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
from urllib.parse import urlencode

from smz.core.validators import id_number_error, uscc_error
from smz.docking import conformance
from smz.docking.errors import GatewayCode
from smz.registry.synthetic import synthetic_id_number, synthetic_uscc
from smz.testing.docking import GATEWAY, docking_app


def client_sender(client):
    def send(fields: dict[str, str]) -> tuple[int, bytes]:
        r = client.post(
            GATEWAY, data=urlencode(fields), content_type="application/x-www-form-urlencoded"
        )
        return r.status_code, r.content

    return send


def test_envelope_checks_pass_against_the_gateway(client, world):
    app, secret = docking_app(world)
    out = io.StringIO()
    kit = conformance.run(
        client_sender(client),
        appid=app.app_id,
        secret=secret,
        project=world.projects["p1"].code,
        only="envelope",
        out=out,
    )
    text = out.getvalue()
    assert kit.failed == 0, text
    assert kit.passed == 7
    assert text.splitlines()[-1] == "7 passed, 0 failed"
    for code in ("1006", "1007", "1008", "1009", "1004"):
        assert f"→ {code}" in text
    assert secret not in text


def test_a_gateway_that_accepts_everything_fails_the_kit():
    def yes(fields: dict[str, str]) -> tuple[int, bytes]:
        return 200, b'{"code": 0, "message": "ok", "data": {"rows": []}}'

    out = io.StringIO()
    kit = conformance.run(yes, appid="a", secret="x" * 32, project="P", only="envelope", out=out)
    assert kit.failed == 7 and kit.passed == 0
    assert "[失败] 签名错误 → 1006" in out.getvalue()
    assert out.getvalue().splitlines()[-1] == "0 passed, 7 failed"


def test_a_project_outside_the_apps_scope_fails_the_first_check(client, world):
    app, secret = docking_app(world, ("p1",))
    out = io.StringIO()
    kit = conformance.run(
        client_sender(client),
        appid=app.app_id,
        secret=secret,
        project=world.projects["p2"].code,
        only="envelope",
        out=out,
    )
    assert kit.failed == 1 and "未返回项目" in out.getvalue()


def test_steps_after_a_failed_step_fail_too_never_skip(client, world):
    """Methods missing (or a step refused): every dependent check is counted as failed, not skipped."""
    app, secret = docking_app(world)
    out = io.StringIO()
    kit = conformance.run(
        client_sender(client),
        appid=app.app_id,
        secret=secret,
        project=world.projects["p1"].code,
        out=out,
        wait=0,
    )
    lines = out.getvalue().splitlines()
    # 7 envelope checks and 18 docking checks, each printed and counted whatever happened before it.
    assert kit.passed + kit.failed == 25 == len(lines) - 1
    assert lines[-1] == f"{kit.passed} passed, {kit.failed} failed"
    failed = [line for line in lines if line.startswith("[失败]")]
    assert len(failed) == kit.failed


def test_synthetic_identifiers_match_the_registrys():
    birth = dt.date(1988, 3, 9)
    for seq in (0, 7, 499, 123456):
        for male in (True, False):
            mine = conformance.synthetic_id_number(birth=birth, seq=seq, male=male)
            assert mine == synthetic_id_number(birth=birth, seq=seq, male=male)
            assert id_number_error(mine) is None
        assert conformance.synthetic_uscc(seq=seq) == synthetic_uscc(seq=seq)
        assert uscc_error(conformance.synthetic_uscc(seq=seq)) is None


def test_the_kit_imports_no_django():
    code = (
        "import sys, smz.docking.conformance; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_command_line_refuses_a_short_secret(capsys):
    try:
        conformance.main(
            ["--url", "http://127.0.0.1:9/x", "--appid", "a", "--secret", "short", "--project", "P"]
        )
    except SystemExit as exc:
        assert exc.code == 2
    else:
        raise AssertionError("a short secret must be refused")
    assert "AppSecret 应为32个字符" in capsys.readouterr().err
    assert GatewayCode.BAD_SIGN == 1006
