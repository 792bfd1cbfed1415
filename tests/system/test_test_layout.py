"""Test layout (issue 12 item 7): shared helpers live in smz/testing or a conftest, never in a test module."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """Every module an import statement names, with its line, relative ones as written ('.test_x')."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if node.module:
                found.append((node.lineno, module))
            else:
                found += [(node.lineno, module + alias.name) for alias in node.names]
    return found


def test_issue12_7_no_module_imports_from_a_test_module() -> None:
    offenders = []
    paths = [ROOT / "conftest.py", *sorted((ROOT / "smz").rglob("*.py"))]
    paths += sorted((ROOT / "tests").rglob("*.py"))
    for path in paths:
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, module in _imported_modules(tree):
            if module.rsplit(".", 1)[-1].startswith("test_"):
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert offenders == [], "move shared helpers to smz/testing or a conftest:\n" + "\n".join(
        offenders
    )


def test_issue12_7_the_scan_sees_a_test_module_import() -> None:
    tree = ast.parse(
        "from smz.labor.tests.test_payroll import contract\nfrom .test_excel import person\n"
        "import smz.attendance.tests.test_attendance\nfrom smz.testing.labor import contract\n"
    )
    names = [m for _, m in _imported_modules(tree) if m.rsplit(".", 1)[-1].startswith("test_")]
    assert names == [
        "smz.labor.tests.test_payroll",
        ".test_excel",
        "smz.attendance.tests.test_attendance",
    ]


def test_issue12_7_refused_fails_on_a_refusal_with_another_code() -> None:
    import pytest

    from smz.core.errors import Forbidden, NotFound
    from smz.testing.errors import refused

    with refused("forbidden"):
        raise Forbidden()
    expected = pytest.raises(AssertionError, match="expected 'forbidden', got 'not_found'")
    with expected, refused("forbidden"):
        raise NotFound()
