"""The layer rules of docs/architecture.md, read from the imports of every module:
models never import UI or plotting; labs never import streamlit or figures; figures never import torch,
streamlit or labs; ui does no tensor math; the torch-free core stays torch-free."""
import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "seqviz"
# package -> (forbidden third-party roots, forbidden seqviz subpackages/modules)
RULES = {
    "models": ({"streamlit", "plotly", "altair"},
               {"seqviz.labs", "seqviz.figures", "seqviz.ui", "seqviz.trace", "seqviz.pages"}),
    "labs": ({"streamlit"}, {"seqviz.figures", "seqviz.ui", "seqviz.pages"}),
    "figures": ({"torch", "streamlit"}, {"seqviz.labs", "seqviz.ui", "seqviz.models", "seqviz.trace", "seqviz.pages"}),
    "ui": ({"torch"}, set()),
}
TORCH_FREE = ("names.py", "inputs.py", "trace_record.py", "tokenizer.py")


def imports(path: Path) -> set[str]:
    """Every module name imported (absolute imports only; the project uses no relative ones)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def violations(path: Path, roots: set[str], modules: set[str]) -> set[str]:
    return {name for name in imports(path)
            if name.split(".")[0] in roots or any(name == m or name.startswith(m + ".") for m in modules)}


@pytest.mark.parametrize("package", RULES)
def test_layer_imports(package):
    files = sorted((PKG / package).rglob("*.py"))
    assert len(files) >= 2, f"seqviz/{package} holds {len(files)} modules"
    roots, modules = RULES[package]
    bad = {f.name: violations(f, roots, modules) for f in files}
    assert not {name: v for name, v in bad.items() if v}


def test_trace_module_is_not_mistaken_for_trace_record():
    # "seqviz.trace" must not match "seqviz.trace_record" in the prefix check above
    figure_file = PKG / "figures" / "style.py"
    assert not violations(figure_file, set(), {"seqviz.trace"})


def test_torch_free_core():
    for name in TORCH_FREE:
        assert not violations(PKG / name, {"torch", "streamlit"}, set()), name


def test_core_modules_do_not_import_ui():
    core = sorted(PKG.glob("*.py"))
    assert len(core) >= 10
    for f in core:
        assert not violations(f, {"streamlit"}, {"seqviz.ui"}), f.name


def test_the_registry_sits_between_labs_and_ui():
    """pages.py reads the labs' ranges and is read by ui, app, cli and bench: it never imports streamlit, a
    figure or a page, and no module below it (models, labs, figures, the core) imports it."""
    assert not violations(PKG / "pages.py", {"streamlit", "plotly", "altair"},
                          {"seqviz.figures", "seqviz.ui", "seqviz.cli", "seqviz.bench", "seqviz.benchmarks"})
    tooling = {"pages.py", "cli.py", "bench.py", "export.py", "notebook.py", "__init__.py",
               "url_codec.py"}  # the registry's own codec names Control for its types only
    for f in sorted(PKG.glob("*.py")):
        if f.name not in tooling:
            assert not violations(f, set(), {"seqviz.pages"}), f.name


def test_the_rules_catch_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import torch\nfrom seqviz.labs.attention import explore\n")
    assert violations(bad, *RULES["figures"]) == {"torch", "seqviz.labs.attention"}
