"""Home in a real Chromium: it renders, translates a typed sentence, and shows hostile input as text."""
import pytest

from tests.e2e.conftest import assert_no_exception, settle

pytestmark = pytest.mark.e2e


def test_home_in_chromium(chromium, server):
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server)
    settle(page)
    assert_no_exception(page)
    assert "look inside a translation model" in page.locator("h1").first.inner_text()
    box = page.get_by_role("textbox", name="An English sentence")
    box.fill("<script>alert(1)</script> 🙂")
    box.press("Enter")
    settle(page)
    assert_no_exception(page)
    assert "sentence=" in page.url
    assert not dialogs  # nothing typed was executed
    box.fill("")
    box.press("Enter")
    settle(page)
    assert "empty" in page.locator("[data-testid=stAlert]").first.inner_text()
    page.close()
