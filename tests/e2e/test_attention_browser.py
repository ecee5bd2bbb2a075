"""The attention explorer in a real Chromium: type a sentence, play the decoding animation, open a head."""
import pytest

from tests.e2e.conftest import assert_no_exception, hostile_input_is_text, open_page, served_model_shape, settle

pytestmark = pytest.mark.e2e


def test_attention_explorer_in_chromium(chromium, server, server_checkpoints):
    page, dialogs = open_page(chromium, server + "/attention", expect="[data-testid=stPlotlyChart]")
    box = page.get_by_role("textbox", name="English sentence")
    box.fill("the cat eats the red apples")
    box.press("Enter")
    settle(page, expect="[data-testid=stPlotlyChart]")
    assert_no_exception(page)
    assert "sentence=the+cat+eats" in page.url or "sentence=the%20cat%20eats" in page.url
    assert page.locator("[data-testid=stPlotlyChart]").count() >= 1  # the model view

    # clicking a tile of the model view opens that head: tiles run kind by kind (encoder, decoder, cross),
    # layer by layer, head by head, so decoder self-attention layer 0 head 1 is tile n_layers * n_heads + 1
    n_layers, n_heads = served_model_shape(server_checkpoints)
    tiles = page.locator("[data-testid=stPlotlyChart]").first.locator(".scatterlayer .trace .points path")
    assert tiles.count() == 3 * n_layers * n_heads
    tiles.nth(n_layers * n_heads + 1).click(force=True)
    page.wait_for_function("() => location.search.includes('kind=decoder+self') && location.search.includes('head=1')",
                           timeout=180000)
    settle(page, expect="[data-testid=stVegaLiteChart]")
    assert "layer=" not in page.url  # layer 0 is the default, and a default stays out of the link

    page.locator("[data-testid=stButtonGroup] button", has_text="Decoding").click()
    settle(page, expect=".updatemenu-button")
    chart = page.locator("[data-testid=stPlotlyChart]").first
    before = chart.locator(".gtitle").first.text_content()
    assert before.startswith("step 1/")
    chart.locator(".updatemenu-button").first.click()  # ▶ Play
    page.wait_for_function(
        "() => { const t = document.querySelector('[data-testid=stPlotlyChart] .gtitle');"
        " const m = t && t.textContent.match(/step (\\d+)\\/(\\d+)/); return m && m[1] === m[2]; }",
        timeout=180000)  # the animation reached its last frame
    assert_no_exception(page)

    page.locator("[data-testid=stButtonGroup] button", has_text="Model view").click()
    settle(page, expect="[data-testid=stVegaLiteChart]")
    assert page.locator("[data-testid=stVegaLiteChart]").count() >= 1  # the line view

    hostile_input_is_text(page, box, dialogs)
    page.close()


def test_share_link_follows_a_view_picked_in_the_fragment(chromium, server):
    """The views are a fragment: a click reruns only it, and the sidebar's share link (drawn outside it) must
    still carry the new view (url_state.mirror reruns the app when a fragment changed the link)."""
    page, _ = open_page(chromium, server + "/attention")
    page.locator("[data-testid=stButtonGroup] button", has_text="QKV walkthrough").click()
    settle(page)
    page.get_by_text("Share this view").click()
    link = page.locator("[data-testid=stSidebar] code").last
    link.wait_for()
    assert "view=QKV+walkthrough" in link.inner_text()
    page.close()
