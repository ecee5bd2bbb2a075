"""The training lab in Chromium: reverse trains live, and the loss curve grows while the page stays responsive."""
import pytest

from seqviz.pages import PAGES
from tests.e2e.conftest import assert_no_exception, settle

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not any(p.name == "training" for p in PAGES), reason="training page not registered")]

PROGRESS_STEP = """() => {
  const bar = document.querySelector('[data-testid=stProgress]');
  const m = bar && bar.innerText.match(/step (\\d+) of/);
  return m ? Number(m[1]) : null;
}"""
CURVE_LENGTH = """() => {
  // _fullData: plotly.js's decoded traces (the figure JSON may carry arrays as base64 bdata)
  const plot = [...document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot')]
    .find(p => p._fullData && p._fullData.some(t => t.name === 'loss'));
  return plot ? plot._fullData.find(t => t.name === 'loss').y.length : null;
}"""


def test_reverse_trains_live_and_the_curve_moves(chromium, server):
    page = chromium.new_page(viewport={"width": 1024, "height": 768})
    page.goto(server + "/training")
    settle(page, expect="[data-testid=stPlotlyChart] .main-svg")
    assert_no_exception(page)
    assert page.evaluate(PROGRESS_STEP) == 0
    page.get_by_role("button", name="Start").click()
    page.wait_for_function(f"() => ({CURVE_LENGTH})() >= 5", timeout=300000)
    first = page.evaluate(CURVE_LENGTH)
    page.wait_for_function(f"() => ({CURVE_LENGTH})() > {first}", timeout=300000)  # it moves without a click
    page.get_by_role("button", name="Pause").click()
    page.wait_for_function("() => document.body.innerText.includes(': paused')", timeout=300000)
    assert_no_exception(page)
    page.close()
