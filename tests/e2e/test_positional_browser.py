"""The positional page in a real Chromium: moving the base slider redraws the PE heatmap, and each tab's charts
are built and drawn when it is clicked (none before)."""
import math

import numpy as np
import pytest

from seqviz.models.positional import sinusoidal_encoding
from tests.e2e.conftest import assert_no_exception, settle

pytestmark = pytest.mark.e2e

HEATMAP_JS = """() => {
  const plot = [...document.querySelectorAll('.js-plotly-plot')]
    .find(p => (p.layout && p.layout.title && String(p.layout.title.text).startsWith('PE matrix')));
  if (!plot) return null;
  const z = plot.calcdata[0][0].z;  // what plotly.js drew: rows of numbers
  return {title: String(plot.layout.title.text), row: Array.from(z[5])};
}"""


def test_base_slider_redraws_heatmap(chromium, server):
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server + "/positional?d=16&L=40")
    settle(page, expect="[data-testid=stPlotlyChart] .main-svg")
    assert_no_exception(page)
    before = page.evaluate(HEATMAP_JS)
    assert "base 10000" in before["title"]
    assert before["row"][0] == pytest.approx(math.sin(5.0), abs=1e-6)
    assert before["row"][3] == pytest.approx(math.cos(5 / 10000 ** (2 / 16)), abs=1e-6)

    slider = page.locator("[data-testid=stSlider]").filter(has_text="Base").get_by_role("slider")
    slider.focus()
    slider.press("Home")  # the smallest base: 10
    page.wait_for_function("() => location.search.includes('base=10&') || location.search.endsWith('base=10')",
                           timeout=300000)
    page.wait_for_function(f"() => {{ const h = ({HEATMAP_JS})(); return h && h.title.includes('base 10:'); }}",
                           timeout=300000)
    settle(page)
    assert_no_exception(page)
    after = page.evaluate(HEATMAP_JS)
    assert after["row"][3] == pytest.approx(math.cos(5 / 10 ** (2 / 16)), abs=1e-6)
    assert after["row"] != before["row"]
    page.close()



# The titles of the charts on the page (a tab that is not open holds none: its charts are built on the click).
TITLES_JS = """() => [...document.querySelectorAll('.js-plotly-plot')]
  .map(p => String((p.layout && p.layout.title && p.layout.title.text) || ''))"""
# The tab labelled `label` is open, the run its click started is over and its panel's charts are drawn. A closed
# tab's panel is empty, so a panel with content after the click is what the rerun sent.
TAB_DRAWN_JS = """(label) => {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid=stSkeleton]')) return false;
  const tab = [...document.querySelectorAll('[data-testid=stMain] [role=tab]')]
    .find(t => t.innerText.includes(label));
  if (!tab || tab.getAttribute('aria-selected') !== 'true') return false;
  const panel = tab.closest('[data-testid=stTabs]').querySelector('[role=tabpanel]');
  if (!panel || !panel.querySelector('[data-testid=stElementContainer]')) return false;
  return [...panel.querySelectorAll('[data-testid=stPlotlyChart]')].every(c => c.querySelector('.main-svg'));
}"""
# What a run redrew: Streamlit marks each element a run has not yet sent again data-stale="true", and a fragment's
# run marks only the fragment's elements. Each is recorded by its chart's title or its text's start.
WATCH_STALE_JS = """() => { window.seqvizStale = [];
  new MutationObserver(changes => changes.forEach(({target}) => {
    if (target.getAttribute('data-stale') !== 'true') return;
    const plot = target.querySelector('.js-plotly-plot');
    window.seqvizStale.push(plot && plot.layout && plot.layout.title ? String(plot.layout.title.text)
                            : target.innerText || '');
  })).observe(document.querySelector('[data-testid=stMain]'),
              {attributes: true, subtree: true, attributeFilter: ['data-stale']});
}"""


def open_tab(page, label: str) -> list[str]:
    """Click the tab and wait for its rerun to have drawn it; returns the elements that run redrew."""
    page.evaluate("() => { window.seqvizStale = []; }")
    page.locator("[data-testid=stMain] [role=tab]").filter(has_text=label).click()
    page.wait_for_function(TAB_DRAWN_JS, arg=label, timeout=300000)
    assert_no_exception(page)
    return page.evaluate("() => window.seqvizStale")


def has_title(titles: list[str], start: str) -> bool:
    return any(t.startswith(start) for t in titles)


def test_each_tab_is_built_when_clicked(chromium, server):
    """A cold load draws the first tab of each bar only; a click on another tab reruns and draws its charts. Both
    tab bars are in fragments: a click reruns its own part of the page, never the other."""
    page = chromium.new_page(viewport={"width": 1024, "height": 768})
    page.goto(server + "/positional?d=16&L=40")
    settle(page, expect="[data-testid=stPlotlyChart] .main-svg")
    assert_no_exception(page)
    titles = page.evaluate(TITLES_JS)
    assert has_title(titles, "PE matrix") and has_title(titles, "What enters the encoder")
    hidden = ("Chosen dimensions", "Similarity PE·PEᵀ", "How far each word", "Mean attention by relative offset")
    assert not any(has_title(titles, start) for start in hidden), titles
    page.evaluate(WATCH_STALE_JS)

    redrawn = open_tab(page, "Relative position")
    titles = page.evaluate(TITLES_JS)
    assert has_title(titles, "Similarity PE·PEᵀ") and not has_title(titles, "PE matrix"), titles
    gram = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')]
      .find(p => String(p.layout.title.text).startsWith('Similarity')).calcdata[0][0].z.map(r => Array.from(r))""")
    pe = sinusoidal_encoding(40, 16, 10000.0)
    np.testing.assert_allclose(np.array(gram), pe @ pe.T, rtol=1e-5, atol=1e-5)  # what plotly.js drew
    assert any(text.startswith("d_model") for text in redrawn), redrawn  # the slider part reran,
    assert not any(text.startswith(("On the trained", "What enters")) for text in redrawn), redrawn  # alone

    redrawn = open_tab(page, "Order without PE")
    titles = page.evaluate(TITLES_JS)
    assert has_title(titles, "Mean attention by relative offset") and has_title(titles, "How far each word")
    assert not has_title(titles, "What enters the encoder") and has_title(titles, "Similarity PE·PEᵀ"), titles
    assert page.get_by_text("shuffled, PE off:").count() == 1  # the lesson step's four translations
    assert has_title(redrawn, "What enters the encoder"), redrawn  # the model's tabs reran,
    assert not any(text.startswith(("d_model", "Similarity", "Positional encoding")) for text in redrawn), redrawn

    open_tab(page, "Waves")
    titles = page.evaluate(TITLES_JS)
    assert has_title(titles, "Chosen dimensions") and has_title(titles, "Mean attention by relative offset")
    open_tab(page, "Matrix")
    assert has_title(page.evaluate(TITLES_JS), "PE matrix")
    page.close()
