"""The RNN page in a real Chromium: type a sentence, play the reading animation to its last frame (where every
column shows), open Compare."""
import pytest

from tests.e2e.conftest import assert_no_exception, hostile_input_is_text, open_page, settle

pytestmark = pytest.mark.e2e


def test_rnn_page_in_chromium(chromium, server):
    page, dialogs = open_page(chromium, server + "/rnn", expect="[data-testid=stPlotlyChart]")
    box = page.get_by_role("textbox", name="English sentence")
    box.fill("the red apples are on the table")
    box.press("Enter")
    page.wait_for_function("() => location.search.includes('sentence=the+red+apples')", timeout=180000)
    settle(page, expect=".updatemenu-button")
    assert_no_exception(page)

    # the reading animation: press Play and wait until the panel reads the last source token, </s>
    animation = page.locator("[data-testid=stPlotlyChart]", has=page.locator(".updatemenu-button")).first
    assert "reading the" in animation.locator(".annotation-text").first.text_content().replace("▁", "")
    animation.locator(".updatemenu-button").first.click()  # ▶ Play
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stPlotlyChart] .annotation-text')]"
        ".some(a => a.textContent.includes('reading </s>'))", timeout=180000)
    assert_no_exception(page)
    # issue 19.1: after Play the last column (</s>) is shown: the white cover of the last frame has no width
    covers = page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot')]"
        ".filter(g => (g.layout.updatemenus || []).length && (g.layout.annotations || []).length)"
        ".map(g => (g.layout.shapes || []).filter(s => s.fillcolor === 'white').map(s => [s.x0, s.x1]))")
    assert covers and covers[0] and all(x0 == x1 for x0, x1 in covers[0]), covers

    page.locator("[data-testid=stButtonGroup] button", has_text="Compare").click()
    page.wait_for_function("() => location.search.includes('view=Compare')", timeout=180000)
    settle(page, expect="[data-testid=stDataFrame]")
    assert_no_exception(page)
    assert page.locator("[data-testid=stPlotlyChart]").count() >= 1  # the attention models' alignments
    assert page.get_by_text("No attention: one context vector").count() >= 1  # gru-plain

    hostile_input_is_text(page, box, dialogs)
    page.close()
