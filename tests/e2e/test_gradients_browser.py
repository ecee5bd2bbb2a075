"""The gradients lab in Chromium: the ρ slider redraws the curve; a small live experiment runs to its end."""
import pytest

from tests.e2e.conftest import assert_no_exception, settle

pytestmark = pytest.mark.e2e

CURVE_JS = """(name) => {
  const plot = document.querySelector('[data-testid=stPlotlyChart] .js-plotly-plot');
  if (!plot || !plot.data) return null;
  const trace = plot.data.find(t => t.name === name);
  return trace ? Array.from(trace.y) : null;
}"""


def test_rho_slider_changes_the_curve(chromium, server):
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server + "/gradients?cell=rnn-linear&T=50&rho=0.9&hidden=8")
    settle(page, expect="[data-testid=stPlotlyChart] .main-svg")
    assert_no_exception(page)
    before = page.evaluate(CURVE_JS, "linear RNN")
    assert before and len(before) == 50
    assert before[0] == pytest.approx(0.9 ** 49, rel=1e-3)  # ρ^(T−1−t) for the orthogonal linear RNN
    slider = page.locator("[data-testid=stSlider]").filter(has_text="Spectral radius").get_by_role("slider")
    slider.focus()
    slider.press("Home")  # ρ = 0.1
    page.wait_for_function("() => location.search.includes('rho=0.1')", timeout=300000)
    settle(page, expect="[data-testid=stPlotlyChart] .main-svg")
    page.wait_for_function(f"() => ({CURVE_JS})('linear RNN') && ({CURVE_JS})('linear RNN')[0] !== {before[0]}",
                           timeout=300000)
    after = page.evaluate(CURVE_JS, "linear RNN")
    assert after[-1] == pytest.approx(1.0, rel=1e-4)
    assert after[-2] == pytest.approx(0.1, rel=1e-3)  # one step back: ×ρ
    assert_no_exception(page)
    page.close()


def test_small_live_experiment_runs_to_its_end(chromium, server):
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server + "/gradients?section=experiment&exp_models=gru,rnn&exp_T=5&exp_steps=100")
    settle(page)
    assert_no_exception(page)
    page.get_by_role("button", name="Run experiment").click()
    page.wait_for_selector("text=Done: 6 runs", timeout=300000)
    settle(page, expect="[data-testid=stPlotlyChart] .main-svg")
    assert_no_exception(page)
    names = page.evaluate("""() => document.querySelector('[data-testid=stPlotlyChart] .js-plotly-plot')
                                     .data.map(t => t.name)""")
    assert "GRU" in names and "tanh RNN" in names and any(n.startswith("chance: 12.5%") for n in names)
    assert page.locator("[data-testid=stDataFrame]").count() == 1
    page.close()
