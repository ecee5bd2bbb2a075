"""The positional page in a real Chromium: moving the base slider redraws the PE heatmap."""
import math

import pytest

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
