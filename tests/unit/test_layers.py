"""DESIGN §1: models never import UI or plotting; figures never import torch or streamlit; ui does no tensor math."""
import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "seqviz"
RULES = {"models": {"streamlit", "plotly", "altair"}, "figures": {"torch", "streamlit"}, "ui": {"torch"}}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("layer,forbidden", RULES.items())
def test_layer_imports(layer, forbidden):
    files = list((PKG / layer).rglob("*.py"))
    assert files
    for f in files:
        assert not imported_roots(f) & forbidden, f"{f} imports {imported_roots(f) & forbidden}"


def test_core_modules_do_not_import_ui():
    for f in PKG.glob("*.py"):
        assert not imported_roots(f) & {"streamlit"}, f
