"""The lesson path in a real Chromium: open step 1 from Home, then press Next through all ten steps."""
import pytest

from seqviz.lesson import LESSON
from tests.conftest import shipped_available
from tests.e2e.conftest import assert_no_exception, settle

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not shipped_available(), reason="the presets name shipped models")]


def test_click_through_the_ten_steps_with_next(chromium, server):
    page = chromium.new_page(viewport={"width": 1024, "height": 768})
    page.goto(server)
    settle(page)
    page.locator("a", has_text="Open step 1 →").click()
    for number, step in enumerate(LESSON, 1):
        page.wait_for_selector(f"text=Step {number} of {len(LESSON)}", timeout=300000)
        settle(page)
        assert_no_exception(page)
        assert f"/{step.page}?" in page.url and f"step={number}" in page.url
        if number < len(LESSON):
            page.locator("a", has_text="Next:").first.click()
    assert page.locator("a", has_text="Back to the lesson path").count() == 1
    assert len(page.context.pages) == 1  # every step opened in the same tab
    page.close()
