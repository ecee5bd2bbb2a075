"""A teacher's complaint, in a real Chromium: with the "Share this view" box open, a click on a positional tab must
change the link the box shows (a tab click reruns only its fragment, and the box is drawn outside it), and that
link, opened, must show the same tabs."""
import pytest

from tests.e2e.conftest import assert_no_exception, settle

pytestmark = pytest.mark.e2e

LINK_JS = """() => [...document.querySelectorAll('[data-testid=stSidebar] code')].map(c => c.innerText)
  .find(t => t.includes('/positional')) || ''"""
OPEN_TABS_JS = """() => [...document.querySelectorAll('[data-testid=stMain] [role=tab][aria-selected=true]')]
  .map(t => t.innerText)"""


def click_tab(page, label: str, url_part: str) -> str:
    """Click the tab; wait until the share box's link carries it; return that link."""
    page.locator("[data-testid=stMain] [role=tab]").filter(has_text=label).click()
    page.wait_for_function(f"() => ({LINK_JS})().replace(/\\s/g, '').includes({url_part!r})", timeout=300000)
    settle(page)
    assert_no_exception(page)
    return "".join(page.evaluate(LINK_JS).split())  # st.code wraps long lines


def test_the_open_share_box_follows_tab_clicks(chromium, server):
    page = chromium.new_page(viewport={"width": 1024, "height": 768})
    page.goto(server + "/positional?d=16&L=40")
    settle(page, expect="[data-testid=stPlotlyChart] .main-svg")
    page.locator("[data-testid=stSidebar]").get_by_text("Share this view").click()
    page.wait_for_function(f"() => ({LINK_JS})() !== ''", timeout=300000)
    assert "tab=" not in page.evaluate(LINK_JS)  # the first tabs are the default: left out
    click_tab(page, "Waves", "tab=waves")
    link = click_tab(page, "Order without PE", "model_tab=order")
    assert "tab=waves" in link
    opened = page.evaluate(OPEN_TABS_JS)
    page.close()

    fresh = chromium.new_page(viewport={"width": 1024, "height": 768})
    fresh.goto(server + link[link.index("/positional"):])
    settle(fresh, expect="[data-testid=stPlotlyChart] .main-svg")
    assert_no_exception(fresh)
    assert fresh.evaluate(OPEN_TABS_JS) == opened and any("Waves" in t for t in opened)
    fresh.close()
