"""Every page and every view readable on a projector, measured in a real Chromium (issue 20).

The cases come from the page registry (seqviz/pages.py): every page, every view it declares (a page in parts:
every part, and every view of its first part), every tab the view draws (clicked in the browser), the default
and a 30-word sentence on pages that read one, at 1024×768 and 1400×1000, with projector mode off and on.
On each, one JavaScript call (layout_measure.js) checks: no plot past the main column unless it sits in a block
that scrolls sideways and fits the window; no title out of its chart; no legend or modebar over a title; no
neighbouring tick labels colliding (rotated boxes, not their bounding rectangles); tick labels ≥ 14 px; no text
cut in its box (metrics, widget labels, table cells, code, equations, ellipses, dataframe columns); log axes
that span only their data's decades and label the values they stand for; captions at contrast ≥ 4.5:1, and at
≥ 18 px in projector mode. A failure names the page, the view, the tab and the element.

Runtime: one server, one browser, one tab per window size reused by every case. The full matrix,
pages × views × sentences × 2 sizes × projector on/off, runs with SEQVIZ_LAYOUT_FULL=1; `make test` runs three
combinations per view (QUICK below: the 30-word sentence at 1024×768 plain and projector, the default sentence
at 1400×1000), so it stays near ten minutes on two cores.
"""
from __future__ import annotations

import os
import re
import urllib.parse
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM, assert_no_exception, settle

pytestmark = pytest.mark.e2e

MEASURE = (Path(__file__).with_name("layout_measure.js")).read_text(encoding="utf-8")
SIZES = [(1024, 768), (1400, 1000)]
LONG = ("the small black cat is sleeping on the red chair near the big window and the old man is eating "
        "the green apples in the garden with his young daughter")
assert len(LONG.split()) == 30
SENTENCES = {"default": None, "30 words": LONG}


def _registry() -> list[tuple[str, str, bool, list[dict[str, str]]]]:
    """(page name, url path, reads a sentence, the views as URL parameters) for every page of the registry."""
    from seqviz.pages import PAGES

    out = []
    for page in PAGES:
        controls = {control.url: control for control in page.controls}
        if "section" in controls and "view" in controls:  # a page in parts: every part; the first part's views
            first, *rest = controls["section"].choices
            views = [{"section": first, "view": view} for view in controls["view"].choices]
            views += [{"section": section} for section in rest]
        elif "view" in controls:
            views = [{"view": view} for view in controls["view"].choices]
        else:
            views = [{}]
        views += [view for view in EXTRA_VIEWS.get(page.name, []) if view not in views]
        out.append((page.name, page.url_path, page.reads_sentence, views))
    return out


# Views whose figures depend on another control than the view itself: the RNN page's Gates view draws the
# LSTM or GRU gate maps only for a gated model (the default one has none), so each gated cell of the test
# checkpoints (tests/conftest.tiny_dir) gets its case.
EXTRA_VIEWS = {"rnn": [{"view": "Gates", "model": "lstm-attention"}, {"view": "Gates", "model": "gru-plain"}]}


# Which (size, sentence, projector) each view runs in. The full matrix (SEQVIZ_LAYOUT_FULL=1) is every
# combination; `make test` runs the three that break first: the 30-word sentence at 1024×768 without and with
# projector mode, and the default sentence at 1400×1000.
FULL = [(size, which, projector) for size in SIZES for which in SENTENCES for projector in (False, True)]
QUICK = [(SIZES[0], "30 words", False), (SIZES[0], "30 words", True), (SIZES[1], "default", False)]


def cases(full: bool = bool(os.environ.get("SEQVIZ_LAYOUT_FULL"))) -> list:
    params = []
    for name, path, reads, views in _registry():
        for view in views:
            combos = FULL if full else QUICK
            seen = set()
            for size, which, projector in combos:
                which = which if reads else "default"  # a page without a sentence box has one case per size
                if (size, which, projector) in seen:
                    continue
                seen.add((size, which, projector))
                label = "/".join(view.values()) or "page"
                case_id = f"{name}:{label}:{which}:{size[0]}:{'projector' if projector else 'plain'}"
                params.append(pytest.param(path, view, which, size, projector, id=case_id))
    return params


# Failures in parts this test's owner cannot change, each with its reason and owner; a case whose only failures
# are listed here is an expected failure (xfail), so `make test` stays green and the list says what is left.
KNOWN: list[tuple[str, str]] = []  # none left: every case must pass


CASES = cases()


@pytest.fixture(scope="module")
def tabs(chromium):
    """One browser tab per window size, reused by every case of that size."""
    opened: dict[tuple[int, int], object] = {}
    yield lambda size: opened.setdefault(size, chromium.new_page(viewport={"width": size[0], "height": size[1]}))
    for page in opened.values():
        page.close()


# A tab is measured once its panel has content, the run is over and its charts are drawn: a lazy tab
# (st.tabs(on_change="rerun"), the positional page) is empty until the rerun its click starts has sent it.
# In Streamlit 1.67 only the open panel of a bar has role=tabpanel (the others are stTabPanel of height 0).
TABS = "[data-testid=stMain] [data-testid=stTabs]"
TAB_DRAWN = f"""(bar) => {{
  const app = document.querySelector('[data-testid=stApp]');
  if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid=stSkeleton]')) return false;
  const panel = document.querySelectorAll('{TABS}')[bar].querySelector('[role=tabpanel]');
  if (!panel || !panel.querySelector('[data-testid=stElementContainer]')) return false;
  return [...document.querySelectorAll('[data-testid=stPlotlyChart]')].every(c =>
    !c.getBoundingClientRect().width || c.querySelector('.main-svg'));
}}"""


def _measure(page, projector: bool) -> list[tuple[str, dict]]:
    """The problems of the view, tab by tab: every tab of every tab bar is clicked and measured."""
    page.evaluate("() => document.querySelectorAll('[data-testid=stMain] details:not([open]) > summary')"
                  ".forEach(s => s.click())")  # open every expander: the equations inside must fit too
    bars = page.locator(TABS)
    if not bars.count():
        return [("", page.evaluate(MEASURE, projector))]
    out = []
    for b in range(bars.count()):
        tabs = bars.nth(b).locator("[role=tablist]").first.locator("[role=tab]")
        for index in range(tabs.count()):
            tab = tabs.nth(index)
            label = re.sub(r"^[a-z_]+\s+", "", tab.inner_text().strip())  # the icon's name comes first
            tab.click()
            page.wait_for_function(TAB_DRAWN, arg=b, timeout=300000)
            out.append((label, page.evaluate(MEASURE, projector)))
    return out


@pytest.mark.parametrize(("path", "view", "which", "size", "projector"), CASES)
def test_every_view_is_readable(tabs, server, path, view, which, size, projector):
    query = dict(view)
    if SENTENCES[which]:
        query["sentence"] = SENTENCES[which]
    if projector:
        query["projector"] = "1"
    page = tabs(size)
    page.goto(f"{server}/{path}" + (f"?{urllib.parse.urlencode(query)}" if query else ""))
    settle(page)
    assert_no_exception(page)
    where = f"page /{path}, view {'/'.join(view.values()) or '(the page)'}, {which} sentence, {size[0]}×{size[1]}" \
            f"{', projector' if projector else ''}"
    failures = []
    for tab, result in _measure(page, projector):
        for problem in result["problems"]:
            failures.append(f"{where}{', tab ' + tab if tab else ''}: {problem['element']}: {problem['what']}")
        if result["pageWidth"] > result["viewport"] + 1:
            failures.append(f"{where}{', tab ' + tab if tab else ''}: the page scrolls sideways "
                            f"({result['pageWidth']} px in {result['viewport']})")
    failures = list(dict.fromkeys(failures))
    unknown = [f for f in failures if not any(re.search(pattern, f) for pattern, _ in KNOWN)]
    assert not unknown, "\n".join(unknown)
    if failures:
        reasons = {reason for pattern, reason in KNOWN if any(re.search(pattern, f) for f in failures)}
        pytest.xfail("; ".join(sorted(reasons)))


def test_the_matrix_covers_the_registry():
    """Every registered page has cases, and the count is what the docstring promises."""
    pages = {case.values[0] for case in CASES}
    assert pages == {path for _, path, _, _ in _registry()}
    assert Path(CHROMIUM).name  # the browser the cases run in (conftest)


def test_bertviz_export_draws_without_a_network(chromium, server_checkpoints, tmp_path):
    from seqviz.checkpoints import load_checkpoint
    from seqviz.export import bertviz_head_view_html
    from seqviz.trace import trace

    loaded = load_checkpoint(server_checkpoints / "transformer.safetensors")
    t = trace(loaded.model, loaded.tokenizer, "I am eating", model_name=loaded.name)
    path = tmp_path / "head_view.html"
    path.write_text(bertviz_head_view_html(t), encoding="utf-8")
    page = chromium.new_page()
    outside, errors = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def block(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:  # the page may not fetch anything: record it and fail the request
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", block)
    page.goto(path.as_uri())
    page.wait_for_selector("svg text", timeout=60000)
    drawn = {text.strip() for text in page.locator("svg text").all_text_contents()}
    page.close()
    assert not outside and not errors
    assert {token.replace("▁", "") for token in t.src_tokens} <= drawn  # every source token is drawn
