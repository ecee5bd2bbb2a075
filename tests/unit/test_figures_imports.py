"""Layer rule (DESIGN §1): figures never import torch or streamlit; analysis is numpy-only."""

import ast
from pathlib import Path

import seqviz

PACKAGE = Path(seqviz.__file__).parent


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_figures_never_import_torch_or_streamlit():
    modules = sorted((PACKAGE / "figures").glob("*.py"))
    assert len(modules) >= 4
    for module in modules:
        roots = imported_roots(module)
        assert not roots & {"torch", "streamlit"}, f"{module.name} imports {roots & {'torch', 'streamlit'}}"
        seqviz_imports = {
            node.module
            for node in ast.walk(ast.parse(module.read_text()))
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("seqviz.")
        }
        allowed = {name for name in seqviz_imports if name.startswith(("seqviz.analysis", "seqviz.figures"))}
        assert seqviz_imports == allowed, (module.name, seqviz_imports - allowed)


def test_analysis_is_numpy_only():
    assert imported_roots(PACKAGE / "analysis.py") <= {"numpy", "re", "collections", "__future__"}
