"""Code layout (issue 12 item 3): pages and APIs only parse, call one service or selector, and render. No page
or API module (smz/<app>/views.py, views/, *_views.py, api*.py) touches the ORM itself; queries live in the
app's selectors, writes in its services."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Query-set and model methods that have no common meaning outside the ORM, plus the writes. `get`,
# `first`, `count` and `values` are left out: dicts, lists and paginators have them too.
ORM_METHODS = frozenset(
    {
        "aggregate",
        "annotate",
        "bulk_create",
        "bulk_update",
        "create",
        "defer",
        "delete",
        "distinct",
        "exclude",
        "exists",
        "extra",
        "filter",
        "get_or_create",
        "in_bulk",
        "only",
        "order_by",
        "prefetch_related",
        "raw",
        "refresh_from_db",
        "save",
        "select_for_update",
        "select_related",
        "update",
        "update_or_create",
        "values_list",
    }
)


def page_modules() -> Iterator[Path]:
    """smz/<app>/views.py, smz/<app>/views/**.py, smz/<app>/*_views.py and smz/<app>/api*.py."""
    for path in sorted(ROOT.glob("smz/*/*views*")):
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]
    yield from sorted(ROOT.glob("smz/*/api*.py"))


def orm_calls(tree: ast.AST) -> list[tuple[int, str]]:
    """Every `X.objects` and every call of an ORM method, with its line."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            found.append((node.lineno, ast.unparse(node)))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ORM_METHODS
        ):
            found.append((node.lineno, ast.unparse(node.func)))
    return sorted(found)


def test_issue12_3_no_page_or_api_module_calls_the_orm() -> None:
    offenders = []
    for path in page_modules():
        if path.suffix != ".py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        offenders += [f"{path.relative_to(ROOT)}:{line} {call}" for line, call in orm_calls(tree)]
    assert offenders == [], "move these queries into selectors and writes into services:\n" + (
        "\n".join(offenders)
    )


def test_issue12_3_the_scan_covers_the_pages_and_apis() -> None:
    names = {str(p.relative_to(ROOT)) for p in page_modules()}
    assert {
        "smz/approvals/views.py",
        "smz/approvals/keypost_views.py",
        "smz/labor/views/authority.py",
        "smz/labor/views/project.py",
        "smz/registry/api.py",
        "smz/accounts/api.py",
    } <= names


def test_issue12_3_the_scan_sees_orm_calls() -> None:
    tree = ast.parse(
        "Worker.objects.get(pk=1)\n"
        "selectors.my_lines(user).filter(pk=2).first()\n"
        "Payroll.objects.select_for_update().get(pk=3)\n"
        "PayrollLine.objects.bulk_update(lines, ['net_fen'])\n"
        "batch.refresh_from_db()\n"
        "context.get('x')\n"
        "selectors.payable_count(project)\n"
    )
    assert [line for line, _ in orm_calls(tree)] == [1, 2, 3, 3, 4, 4, 5]
