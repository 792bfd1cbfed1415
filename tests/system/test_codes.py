"""Error codes and event kinds (issue 12 item 4): one enum per app, one prefix per app, no string literals.

Each app keeps its codes in `smz/<app>/errors.py` (`class <App>ErrorCode(StrEnum)`) and the kinds of the events it
writes in `smz/<app>/events.py` (`class <App>EventKind(StrEnum)`); see docs/architecture.md. The values are what
machines and pages receive, so an answer on the wire never depends on a spelling in the code.

The scan reads the sources (AST), it imports nothing: it runs without a database.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The one prefix of each app's error codes. core's are the envelope's own, shared by every app: no prefix.
PREFIXES: dict[str, str | None] = {
    "core": None,
    "accounts": "auth.",
    "registry": "registry.",
    "devices": "device.",
    "attendance": "attendance.",
    "approvals": "approval.",
    "labor": "labor.",
    "compliance": "compliance.",
    "docking": "docking.",
    "faceid": "faceid.",
    "video": "video.",
    # One domain, one prefix: the terminal protocols answer in the device registry's `device.`.
    "terminals": "device.",
    "portal": "http.",
}

_DEVICE_WIRE = (
    "the device protocols answer it (docs/interfaces/device-direct.md, docs/interfaces/zkteco.md) and "
    "DeviceRejection / pass answers store it: gates already deployed read it"
)
# Codes that keep a string outside their app's prefix, by value or by family ("x." covers x.*), with why.
WIRE: dict[str, dict[str, str]] = {
    "core": {
        family: "the envelope's own codes, answered on every surface (docs/interfaces/api.md)"
        for family in (
            "validation_error",
            "not_found",
            "forbidden",
            "unauthenticated",
            "bad_request",
            "http_error",
            "pii.",
            "request.",
            "upload.",
        )
    },
    "accounts": {
        "api_token.": "answered by /api/v1/ to token holders (docs/interfaces/api.md)",
    },
    "registry": {
        "roster.": "answered by /api/v1/ roster import and export (docs/interfaces/api.md)",
        "key_post.same_holder": "answered to the permit system inside an inbound permit answer",
    },
    "attendance": {
        family: _DEVICE_WIRE
        for family in (
            "device.batch_conflict",
            "record.",
            "person.",
            "time.",
            "direction.",
            "verify_mode.",
            "similarity.",
            "snapshot.",
            "location.",
        )
    },
    "terminals": {
        family: _DEVICE_WIRE for family in ("command.", "people.", "zkteco.", "time.", "firmware.")
    },
    "approvals": {
        "inbound.": "the inbound interface's codes (docs/interfaces/inbound.md)",
        "key_post.": "per-item codes of an inbound permit answer (docs/interfaces/inbound.md)",
    },
}

# An app may raise or write another app's members only here (core's codes are everyone's), with why.
CROSS_APP: dict[tuple[str, str], str] = {
    ("terminals", "AttendanceErrorCode"): (
        "a protocol adapter refuses a record's wire types itself (RawPass.refused) in the ingest path's record "
        "codes, the same codes the ingest path answers (docs/interfaces/device-direct.md §6)"
    ),
    ("terminals", "DevicesErrorCode"): (
        "the protocols answer the registry's address refusals: the binding and the allow-lists are the "
        "registry's, the answer to a terminal is the protocol's"
    ),
    ("registry", "AccountsErrorCode"): (
        "the worker's phone login and his own contact change (registry.worker_codes) answer in the texted-code "
        "machinery's codes (accounts.otp): one code flow, one vocabulary"
    ),
    ("approvals", "RegistryErrorCode"): (
        "the window's face capture refuses a photo with the codes of registry's face enrollment it feeds"
    ),
    ("labor", "RegistryEventKind"): (
        "the ID-card desk registering a new person is registry's worker.registered, one kind for one fact"
    ),
}

# Where a code or a kind is given: callable name -> (position, keyword) of the argument.
SINKS: dict[str, tuple[int | None, str | None]] = {
    "DomainError": (0, "code"),
    "DeviceError": (0, "code"),
    "Forbidden": (1, "code"),
    "device_error": (0, "code"),
    "inbound_error": (0, "code"),
    "event_record": (None, "kind"),
}


def _app(path: Path) -> str:
    rel = path.relative_to(ROOT).parts
    return rel[1] if rel[0] == "smz" else rel[0]


def _enum_classes() -> dict[str, tuple[str, dict[str, str]]]:
    """Class name -> (app, {member: value}) for every <App>ErrorCode and <App>EventKind."""
    found: dict[str, tuple[str, dict[str, str]]] = {}
    for path in sorted(ROOT.glob("smz/*/errors.py")) + sorted(ROOT.glob("smz/*/events.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and node.name.endswith(("ErrorCode", "EventKind")):
                members = {
                    stmt.targets[0].id: stmt.value.value
                    for stmt in node.body
                    if isinstance(stmt, ast.Assign)
                    and isinstance(stmt.targets[0], ast.Name)
                    and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str)
                }
                found[node.name] = (_app(path), members)
    return found


ENUMS = _enum_classes()


def _sources() -> list[Path]:
    paths = sorted((ROOT / "smz").rglob("*.py")) + sorted((ROOT / "config").rglob("*.py"))
    return [p for p in paths if "tests" not in p.parts and "migrations" not in p.parts]


def _skipped(tree: ast.Module) -> set[ast.AST]:
    """Docstrings, the enum classes' own bodies and f-string parts: not a code given anywhere."""
    skip: set[ast.AST] = set()
    for node in ast.walk(tree):
        documented = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
        if isinstance(node, documented) and node.body and isinstance(node.body[0], ast.Expr):
            skip.add(node.body[0].value)
        if isinstance(node, ast.ClassDef) and node.name in ENUMS:
            skip |= set(ast.walk(node))
        if isinstance(node, ast.JoinedStr):
            skip |= set(ast.walk(node)) - {node}
    return skip


def _literals(tree: ast.Module, vocabulary: set[str]) -> list[tuple[int, str]]:
    skip = _skipped(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value in vocabulary
        and node not in skip
    ]


def _given(call: ast.Call) -> ast.expr | None:
    name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
    if name not in SINKS:
        return None
    position, keyword = SINKS[name]
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if position is not None and len(call.args) > position:
        return call.args[position]
    return None


def _sink_problems(tree: ast.Module, app: str) -> list[tuple[int, str]]:
    """A code or kind given as anything but an enum member (or a value passed through), or another app's."""
    problems: list[tuple[int, str]] = []

    def check(value: ast.expr) -> None:
        if isinstance(value, ast.IfExp):
            check(value.body)
            check(value.orelse)
        elif isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name):
            owner = ENUMS.get(value.value.id)
            if owner is None:
                return  # a module constant or an attribute passed through
            foreign = owner[0] not in (app, "core") and app != "config"
            if foreign and (app, value.value.id) not in CROSS_APP:
                problems.append((value.lineno, f"{ast.unparse(value)} belongs to {owner[0]}"))
        elif isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
            if value.func.id not in ENUMS:  # <App>EventKind(f"...") is a checked composition
                problems.append((value.lineno, f"{ast.unparse(value)} is not an enum member"))
        elif not isinstance(value, (ast.Name, ast.Attribute, ast.Subscript)):
            problems.append((value.lineno, f"{ast.unparse(value)} is not an enum member"))

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (given := _given(node)) is not None:
            check(given)
    return problems


def test_issue12_4_one_enum_module_per_app_named_after_it() -> None:
    for name, (app, members) in ENUMS.items():
        kind = "ErrorCode" if name.endswith("ErrorCode") else "EventKind"
        assert name == app.capitalize() + kind, (
            f"{name} lives in smz/{app}: call it {app.capitalize()}{kind}"
        )
        assert members, f"{name} is empty"
    assert {app for name, (app, _) in ENUMS.items() if name.endswith("ErrorCode")} == set(PREFIXES)


def test_issue12_4_each_value_is_defined_once() -> None:
    for kind in ("ErrorCode", "EventKind"):
        seen: dict[str, str] = {}
        for name, (_, members) in ENUMS.items():
            if not name.endswith(kind):
                continue
            for value in members.values():
                assert value not in seen, f"{value!r} is in both {seen[value]} and {name}"
                seen[value] = name


def test_issue12_4_every_code_carries_its_apps_prefix_or_a_documented_reason() -> None:
    offenders = []
    for name, (app, members) in ENUMS.items():
        if not name.endswith("ErrorCode"):
            continue
        prefix = PREFIXES[app]
        exceptions = WIRE.get(app, {})
        for value in members.values():
            if prefix and value.startswith(prefix):
                continue
            if value in exceptions or any(
                f.endswith(".") and value.startswith(f) for f in exceptions
            ):
                continue
            offenders.append(f"{name}: {value!r} (prefix {prefix!r})")
    assert offenders == [], "\n".join(offenders)


def test_issue12_4_every_wire_exception_is_still_used() -> None:
    values = [v for name, (_, m) in ENUMS.items() if name.endswith("ErrorCode") for v in m.values()]
    for app, exceptions in WIRE.items():
        for family, reason in exceptions.items():
            assert reason
            assert any(
                v == family or (family.endswith(".") and v.startswith(family)) for v in values
            ), f"WIRE[{app!r}][{family!r}] matches no code any more: drop it"


def test_issue12_4_no_code_or_kind_is_spelled_as_a_string() -> None:
    vocabulary = {v for _, members in ENUMS.values() for v in members.values()}
    offenders = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        rel = path.relative_to(ROOT)
        offenders += [f"{rel}:{line}: {value!r}" for line, value in _literals(tree, vocabulary)]
        offenders += [f"{rel}:{line}: {why}" for line, why in _sink_problems(tree, _app(path))]
    assert offenders == [], (
        "give codes and kinds as members of the app's enum (smz/<app>/errors.py, events.py; "
        "see docs/architecture.md):\n" + "\n".join(offenders)
    )


def test_issue12_4_the_scan_sees_literals_f_strings_and_other_apps_members() -> None:
    tree = ast.parse(
        "raise DomainError('labor.payroll_locked', 'x')\n"
        "raise DomainError(f'labor.{what}', 'x')\n"
        "raise Forbidden('x', code='device.sync_forbidden')\n"
        "raise Forbidden('x', code=DevicesErrorCode.SYNC_FORBIDDEN)\n"
        "event_record(actor=None, kind='payroll.drafted', subject=p)\n"
        "event_record(actor=None, kind=LaborEventKind.PAYROLL_DRAFTED if a else 'x.y', subject=p)\n"
        "event_record(actor=None, kind=LaborEventKind(f'deposit.{kind}'), subject=p)\n"
        "raise DomainError(LaborErrorCode.PAYROLL_LOCKED, 'x')\n"
        "raise DomainError(code, 'x')\n"
        "KINDS = ('payroll.drafted',)\n"
    )
    problems = sorted(line for line, _ in _sink_problems(tree, "labor"))
    assert problems == [1, 2, 3, 4, 5, 6]
    assert sorted(_literals(tree, {"payroll.drafted"})) == [
        (5, "payroll.drafted"),
        (10, "payroll.drafted"),
    ]


def test_issue12_4_the_cross_app_list_names_real_enums() -> None:
    for (app, cls), reason in CROSS_APP.items():
        assert app in PREFIXES and cls in ENUMS and ENUMS[cls][0] != app and reason


def _parsing(tree: ast.Module) -> list[int]:
    """Lines that read a caught error's text: `str(exc).startswith(…)`, `"…" in exc.message`, `exc.code[:7]`."""
    caught = {h.name for h in ast.walk(tree) if isinstance(h, ast.ExceptHandler) and h.name}
    # ...and an exception handler's parameter (`def _on_http_error(request, exc: HttpError)`).
    caught |= {
        arg.arg
        for f in ast.walk(tree)
        if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
        for arg in f.args.args
        if isinstance(arg.annotation, ast.Name)
        and arg.annotation.id.endswith(("Error", "Exception"))
    }

    def text_of_error(node: ast.AST) -> bool:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str":
            return (
                len(node.args) == 1
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id in caught
            )
        return (
            isinstance(node, ast.Attribute)
            and node.attr in ("message", "code")
            and isinstance(node.value, ast.Name)
            and node.value.id in caught
        )

    lines = []
    for node in ast.walk(tree):
        if (
            (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr
                in ("startswith", "endswith", "split", "partition", "find", "index")
                and text_of_error(node.func.value)
            )
            or (
                isinstance(node, ast.Compare)
                and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops)
                and isinstance(node.left, ast.Constant)
                and any(text_of_error(c) for c in node.comparators)
            )
            or (
                isinstance(node, ast.Subscript)
                and text_of_error(node.value)
                and getattr(node.value, "attr", "") == "code"
            )
        ):
            lines.append(node.lineno)
    return lines


def test_issue12_4_no_code_takes_an_errors_text_apart() -> None:
    offenders = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        offenders += [f"{path.relative_to(ROOT)}:{line}" for line in _parsing(tree)]
    assert offenders == [], (
        "react to the error's code (an enum member), not its text:\n" + "\n".join(offenders)
    )


def test_issue12_4_the_parsing_scan_sees_message_and_prefix_checks() -> None:
    tree = ast.parse(
        "try:\n    pass\nexcept DomainError as exc:\n"
        "    str(exc).startswith('Cannot parse')\n"
        "    '已提交' in exc.message\n"
        "    exc.code.startswith('permit.')\n"
        "    exc.code[:7]\n"
        "    exc.code in CODES\n"
        "    messages.error(request, exc.message[:80])\n"
        "    project.code[-5:]\n"
    )
    assert sorted(_parsing(tree)) == [4, 5, 6, 7]
    handler = ast.parse(
        "def on_error(request, exc: HttpError):\n"
        "    if str(exc).startswith('Cannot parse'):\n"
        "        pass\n"
    )
    assert _parsing(handler) == [2]
