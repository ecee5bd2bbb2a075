"""Every page, opened with an empty checkpoint folder: no traceback, an error that names the fix where the page
needs a model, and the parts that need none still drawn. One test over the registry, not one copy per page."""
import pytest
from streamlit.testing.v1 import AppTest

from seqviz.pages import PAGES
from tests.conftest import ROOT

APP = str(ROOT / "app.py")
# link parameters that open the part of the page that needs a model (the gradients page needs one only there)
CONTEXT = {"gradients": {"section": "trained"}}


@pytest.mark.parametrize("p", PAGES, ids=[p.name for p in PAGES])
def test_no_checkpoints(p, tmp_path, monkeypatch):
    monkeypatch.setenv("SEQVIZ_CHECKPOINTS", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=300)
    for key, value in CONTEXT.get(p.name, {}).items():
        at.query_params[key] = value
    at.switch_page(p.file).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, "the page still draws its title"
    errors = " ".join(e.value for e in at.error)
    if p.reads_sentence:  # a page that translates what you type needs a model, and says how to build one
        assert "make checkpoints" in errors, errors
    else:
        assert not errors
