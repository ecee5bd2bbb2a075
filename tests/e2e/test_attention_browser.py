"""The attention explorer in a real Chromium: type a sentence, play the decoding animation, open a head."""
import pytest

from tests.e2e.conftest import assert_no_exception, settle

pytestmark = pytest.mark.e2e


def test_attention_explorer_in_chromium(browser, server):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server + "/attention")
    settle(page)
    assert_no_exception(page)
    box = page.get_by_label("English sentence")
    box.fill("the cat eats the red apples")
    box.press("Enter")
    settle(page)
    assert_no_exception(page)
    assert "sentence=the+cat+eats" in page.url or "sentence=the%20cat%20eats" in page.url
    assert page.locator("[data-testid=stPlotlyChart]").count() >= 1  # the model view

    page.get_by_role("tab", name="Decoding").click()
    page.wait_for_timeout(500)
    play = page.locator("[data-testid=stPlotlyChart] .updatemenu-button").first
    play.click()
    page.wait_for_timeout(2500)  # let a few frames play
    slider_label = page.locator("[data-testid=stPlotlyChart] .slider-current-value").first.inner_text()
    assert "step" in slider_label.lower() or slider_label.strip()
    assert_no_exception(page)

    page.get_by_role("tab", name="Head view").click()
    page.wait_for_timeout(500)
    assert page.locator("[data-testid=stVegaLiteChart]").count() >= 1  # the line view

    box.fill("<script>alert(1)</script> 🙂")
    box.press("Enter")
    settle(page)
    assert_no_exception(page)
    assert not dialogs
    page.close()
