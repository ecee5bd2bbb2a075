"""An axe-core audit of every page after it has drawn, with projector mode off and on (issue 20, item 6).

axe-core comes from the axe-playwright-python package (its axe.min.js is injected into the page; no network).
Zero colour-contrast violations anywhere. Any other serious or critical violation fails too, unless ACCEPTED
names its rule and element: those live in Streamlit's own components, where the app cannot change the markup.
"""
from __future__ import annotations

import pytest

from tests.e2e.conftest import assert_no_exception, settle

pytestmark = pytest.mark.e2e

axe_module = pytest.importorskip("axe_playwright_python.sync_playwright", reason="pip install axe-playwright-python")

# (rule, the Streamlit component it sits in, why the app accepts it). Never "color-contrast": the app can fix that.
ACCEPTED = [
    ("list", "[data-testid=stSidebarNavItems]",
     "Streamlit's navigation puts its section headers (<div>) between the <li> items of its <ul>; the app only "
     "passes st.navigation the pages and cannot change that markup"),
    ("listitem", "[data-testid=stSidebarNavItems]",
     "the same navigation list: its <li> sit inside those section <div>s, not directly in the <ul>"),
]
# App pages whose owners still have a contrast fix to make: (page path, rule, reason). The case is an expected
# failure while the violation is there, so the audit stays in `make test`; the reason names the fix.
KNOWN: list[tuple[str, str, str]] = []  # none left: zero colour-contrast violations on every page
INSIDE = "([selector, container]) => { const e = document.querySelector(selector); " \
         "return !!(e && e.closest(container)); }"


def _pages():
    from seqviz.pages import PAGES

    return [(page.name, page.url_path) for page in PAGES]


def _accepted(page, rule: str, target: list) -> bool:
    """The node (its selector from axe) is inside a component ACCEPTED names for this rule."""
    selector = target[-1] if target and isinstance(target[-1], str) else None
    return bool(selector) and any(rule == r and page.evaluate(INSIDE, [selector, container])
                                  for r, container, _ in ACCEPTED)


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
            if violation["id"] != "color-contrast" and _accepted(audit_tab, violation["id"], node["target"]):
                continue
            failures.append((violation["id"], f"/{path} ({'projector' if projector else 'plain'}): {violation['id']} "
                             f"({violation['impact']}) at {node['target']}: {node.get('failureSummary', '')[:160]}"))
    known = [reason for page_path, rule, reason in KNOWN if page_path == path and any(r == rule for r, _ in failures)]
    unknown = [text for rule, text in failures if not any(p == path and r == rule for p, r, _ in KNOWN)]
    assert not unknown, "\n".join(unknown[:40]) + (f"\n… and {len(unknown) - 40} more" if len(unknown) > 40 else "")
    if known:
        pytest.xfail("; ".join(known))
