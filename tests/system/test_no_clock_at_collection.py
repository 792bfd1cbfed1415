"""Tests never read the clock at import or collection time (issue 11 item 9): a planted skew computed at
collection shrank while a slow suite ran, and xdist workers that collect at different moments disagree on
test ids. This scans every test module's top level and decorators (parametrize lists) for clock reads."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLOCK_CALLS = {"now", "localdate", "localtime", "today", "time", "utcnow", "monotonic"}
CLOCK_OWNERS = {"timezone", "time", "date", "datetime", "dt"}


def _clock_reads(node: ast.AST) -> list[int]:
    lines = []
    for sub in ast.walk(node):
        if (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Attribute)
            and sub.func.attr in CLOCK_CALLS
        ):
            owner = sub.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if name in CLOCK_OWNERS:
                lines.append(sub.lineno)
    return lines


def _collection_time_nodes(tree: ast.Module) -> list[ast.AST]:
    """What runs when the module is imported: top-level statements (not function bodies) and decorators."""
    nodes: list[ast.AST] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            nodes.extend(stmt.decorator_list)
            nodes.extend(d for d in stmt.args.defaults + stmt.args.kw_defaults if d is not None)
        elif isinstance(stmt, ast.ClassDef):
            nodes.extend(stmt.decorator_list)
            for inner in stmt.body:
                if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef):
                    nodes.extend(inner.decorator_list)
                else:
                    nodes.append(inner)
        else:
            nodes.append(stmt)
    return nodes


def test_no_test_module_reads_the_clock_when_imported():
    modules = [
        *ROOT.glob("smz/**/tests/**/*.py"),
        *ROOT.glob("smz/testing/*.py"),  # shared test helpers are imported at collection too
        *ROOT.glob("tests/**/*.py"),
        ROOT / "conftest.py",
    ]
    offences = []
    for path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _collection_time_nodes(tree):
            offences += [f"{path.relative_to(ROOT)}:{line}" for line in _clock_reads(node)]
    assert modules and not offences, offences


def test_the_scan_finds_a_clock_read_at_import():
    tree = ast.parse(
        "import pytest\nTODAY = timezone.localdate()\n"
        "@pytest.mark.parametrize('x', [time.time() + 400])\ndef test_x(x): ...\n"
    )
    found = [line for node in _collection_time_nodes(tree) for line in _clock_reads(node)]
    assert found == [2, 3]
