"""The compute page in a real Chromium: a small sweep (lengths 8 and 16, one repetition) runs to the end,
its figures draw, and no exception shows."""
import pytest

from tests.e2e.conftest import assert_no_exception, settle

pytestmark = pytest.mark.e2e


def test_compute_small_sweep_in_chromium(chromium, server):
    page = chromium.new_page(viewport={"width": 1024, "height": 768})
    # one thread: the server's machine may have one core (taskset -c 0); the speed-up branch is in the AppTest
    page.goto(server + "/compute?lengths=8,16&threads=1&reps=1")
    settle(page)
    assert_no_exception(page)
    assert "RNN vs Transformer" in page.locator("h1").first.inner_text()
    assert page.locator("[data-testid=stPlotlyChart]").count() == 1  # the counts diagram; nothing measured yet
    page.get_by_role("button", name="Run", exact=True).click()
    # the sweep reruns the page once per length; wait for its result, not for a time
    page.wait_for_selector("[data-testid=stAlertContentSuccess]", timeout=300000)
    settle(page)
    assert_no_exception(page)
    assert "Measured 7 models × 2 lengths × 1 thread count in" in page.locator(
        "[data-testid=stAlertContentSuccess]").first.inner_text()
    assert page.locator("[data-testid=stPlotlyChart]").count() == 2  # timing, diagram (no speed-up from one)
    assert "On this machine" in page.locator("[data-testid=stMarkdown]").all_inner_texts().__str__()
    assert "lengths=8%2C16" in page.url or "lengths=8,16" in page.url
    page.close()
