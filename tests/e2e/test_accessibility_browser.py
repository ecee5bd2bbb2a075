"""An axe-core audit of every page after it has drawn, with projector mode off and on (issue 20, item 6).

axe-core comes from the axe-playwright-python package (its axe.min.js is injected into the page; no network).
Zero colour-contrast violations anywhere. Any other serious or critical violation fails too, unless ACCEPTED
names its rule and element: those live in Streamlit's own components, where the app cannot change the markup.
"""
from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import assert_no_exception, settle

pytestmark = pytest.mark.e2e

axe_module = pytest.importorskip("axe_playwright_python.sync_playwright", reason="pip install axe-playwright-python")

# (rule, CSS target pattern, why the app accepts it). Never "color-contrast": that one the app can always fix.
ACCEPTED = [
    ("list", r"stSidebarNavItems|stNavSection|stSidebarNav",
     "Streamlit's navigation puts section headers (<header>) between the <li> items of its <ul>; the app only "
     "passes st.navigation the pages and cannot change that markup"),
    ("listitem", r"stSidebarNav|stNavSection",
     "the same navigation list: its <li> sit in wrappers that are not <ul>/<ol> (Streamlit's markup)"),
    ("aria-allowed-role", r"stSidebarNav|stNavSection",
     "Streamlit's navigation links carry roles axe does not expect on <a>; the app cannot change them"),
]


def _pages():
    from seqviz.pages import PAGES

    return [(page.name, page.url_path) for page in PAGES]


def _accepted(rule: str, target: str) -> bool:
    return any(rule == r and re.search(pattern, target) for r, pattern, _ in ACCEPTED)


@pytest.fixture(scope="module")
def audit_tab(chromium):
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    yield page
    page.close()


@pytest.mark.parametrize("projector", [False, True], ids=["plain", "projector"])
@pytest.mark.parametrize(("name", "path"), _pages(), ids=[name for name, _ in _pages()])
def test_axe_finds_no_contrast_or_unaccepted_violations(audit_tab, server, name, path, projector):
    audit_tab.goto(f"{server}/{path}" + ("?projector=1" if projector else ""))
    settle(audit_tab)
    assert_no_exception(audit_tab)
    results = axe_module.Axe().run(audit_tab, options={"resultTypes": ["violations"],
                                                       "runOnly": {"type": "tag",
                                                                   "values": ["wcag2a", "wcag2aa", "wcag21aa",
                                                                              "best-practice"]}})
    failures = []
    for violation in results.response["violations"]:
        if violation["impact"] not in ("serious", "critical") and violation["id"] != "color-contrast":
            continue
        for node in violation["nodes"]:
            target = " ".join(map(str, node["target"])) + " " + node.get("html", "")[:2000]
            if violation["id"] != "color-contrast" and _accepted(violation["id"], target):
                continue
            failures.append(f"/{path} ({'projector' if projector else 'plain'}): {violation['id']} "
                            f"({violation['impact']}) at {node['target']}: {node.get('failureSummary', '')[:160]}")
    assert not failures, "\n".join(failures[:40]) + (f"\n… and {len(failures) - 40} more" if len(failures) > 40 else "")
