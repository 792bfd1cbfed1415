"""docs/architecture.md's picture of the layers is the one generated from the import contracts (issue 12)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _tool():
    spec = importlib.util.spec_from_file_location(
        "architecture_picture", ROOT / "tools" / "architecture_picture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_picture_in_the_doc_is_generated_from_the_contracts():
    tool = _tool()
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert tool.doc_with(text, tool.picture()) == text, (
        "docs/architecture.md is stale: run .venv/bin/python tools/architecture_picture.py --write"
    )


def test_every_app_is_in_the_layers_contract():
    """A new app under smz/ must be placed in the layer order before it can land."""
    tool = _tool()
    layered = {app for layer in tool.contract_layers() for app in layer}
    apps = {f"smz.{p.parent.name}" for p in (ROOT / "smz").glob("*/apps.py")}
    assert apps <= layered, sorted(apps - layered)


def test_the_picture_changes_when_an_app_imports_another():
    tool = _tool()
    edges = tool.app_edges(["smz.core", "smz.registry"])
    assert ("smz.registry", "smz.core") in edges
    assert ("smz.core", "smz.registry") not in edges
