"""The lesson questions and the worksheet in a real Chromium.

One graded question per step is answered right on the step's own page of the running app (a predict question then
reveals its figure). The worksheet widget runs on the small page tests/e2e/questions_page.py until Home calls it:
the worksheet is downloaded, opened offline (every figure drawn, no network request at all) and printed to PDF."""
from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request
from functools import cache
from urllib.parse import urlencode

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from seqviz.checkpoints import load_checkpoint
from seqviz.inputs import DEFAULT_SENTENCE
from seqviz.labs import questions as lab
from seqviz.lesson import CAT, LESSON
from tests.conftest import ROOT, SHIPPED, shipped_available
from tests.e2e.conftest import _free_port, assert_no_exception, open_selectbox, settle

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not shipped_available(), reason="answers need the shipped models")]


@cache
def load(name: str):
    return load_checkpoint(SHIPPED / f"{name}.safetensors")


@pytest.fixture(scope="module")
def questions_server():
    port = _free_port()  # in SEQVIZ_E2E_PORTS, like the app's own test server
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "tests/e2e/questions_page.py"), "--server.headless",
         "true", "--server.port", str(port), "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300  # a bound for a loaded machine, not a wait for a result
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=5):
                break
        except OSError:
            time.sleep(0.3)  # polling interval
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def first_graded(step: int, sentence: str) -> lab.Answer:
    return next(a for a in lab.answers(step, lab.Context(sentence, load)) if a.graded and not a.meaningless)


def give(page, a: lab.Answer) -> None:
    box = page.locator(f".st-key-question_input_{a.step}_{a.n}")
    if a.kind == "number":
        box.locator("input").fill(a.fmt.format(a.value).rstrip("%"))
    elif len(a.choices) <= 6:
        box.get_by_test_id("stRadioGroup").get_by_text(str(a.value), exact=True).click()
    else:  # scrolled into view first (conftest.open_selectbox: the first-click flake), then picked
        open_selectbox(page, box.locator("input"))
        page.get_by_role("option", name=str(a.value), exact=True).click()
    page.locator(f".st-key-question_check_{a.step}_{a.n} button").click()


@pytest.mark.parametrize("step", range(1, len(LESSON) + 1))
def test_one_question_per_step_answered_right_on_the_step_page(chromium, server, step):
    """The real app, opened from the lesson link: the questions sit under the step's text (app.py calls
    show_step_questions), on the step's preset sentence."""
    sentence = LESSON[step - 1].params.get("sentence", DEFAULT_SENTENCE)
    a = first_graded(step, sentence)
    page = chromium.new_page(viewport={"width": 1024, "height": 768})
    page.goto(f"{server}/{LESSON[step - 1].link(step)}")
    settle(page, expect=f".st-key-question_{a.step}_{a.n}")
    question = page.locator(f".st-key-question_{a.step}_{a.n}")
    charts_before = question.locator("[data-testid=stPlotlyChart]").count()
    give(page, a)
    page.wait_for_selector(f".st-key-question_{a.step}_{a.n} [data-testid=stAlertContentSuccess]", timeout=300000)
    settle(page)
    assert_no_exception(page)
    assert f"Right: {a.shown}." in question.locator("[data-testid=stAlertContentSuccess]").inner_text()
    if a.mode == "predict" and a.plot is not None:
        assert charts_before == 0  # hidden until answered …
        revealed = question.locator("[data-testid=stPlotlyChart] .main-svg").count()
        assert revealed or question.locator("[data-testid=stDataFrame]").count()  # … and drawn now
    assert "1 of" in page.locator(".st-key-question_score").inner_text()
    page.close()


# Text nodes of the main column holding `words` that a student can read: rendered (visibility) and not under a
# blurred figure. The veil hides a sentence with visibility: hidden; a predict question blurs the page's figure.
READABLE = """(words) => {
  const walker = document.createTreeWalker(document.querySelector('[data-testid=stMain]'), NodeFilter.SHOW_TEXT);
  const found = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.includes(words) || node.parentElement.closest("[class*='st-key-question_']")) continue;
    let readable = getComputedStyle(node.parentElement).visibility === 'visible';
    for (let e = node.parentElement; e && readable; e = e.parentElement) {
      if (getComputedStyle(e).filter.includes('blur')) readable = false;
    }
    if (readable) found.push(node.textContent.slice(0, 120));
  }
  return found;
}"""


TELL_TAB = {8: "&tab=waves"}  # the lesson's link opens the Matrix tab; the question's tell is under Waves


@pytest.mark.parametrize("step", (2, 4, 8))
def test_the_pages_own_sentences_hide_a_predict_answer_until_it_is_answered(chromium, server, step):
    """Step 2 quotes the measured factor per step (from which the steps to 10⁻⁶ follow), step 4 counts h_T's
    numbers beside the blurred figure, step 8 gives pair 0's wavelength: before the predict question is answered
    no readable text holds its tells; answered, the page's own sentence shows them again."""
    sentence = LESSON[step - 1].params.get("sentence", DEFAULT_SENTENCE)
    a = next(a for a in lab.answers(step, lab.Context(sentence, load)) if a.tells)
    assert a.mode == "predict" and a.tells
    page = chromium.new_page(viewport={"width": 1024, "height": 768})
    # step 8's tell, pair 0's wavelength, is in the positional page's Waves tab, built only when it is open
    page.goto(f"{server}/{LESSON[step - 1].link(step)}" + TELL_TAB.get(step, ""))
    settle(page, expect=f".st-key-question_{a.step}_{a.n}")
    page.wait_for_selector(".seqviz-veiled", state="attached", timeout=60000)
    for tell in a.tells:  # the veil's observer hides block after block as they arrive: wait for the last one
        try:
            page.wait_for_function(f"(words) => ({READABLE})(words).length === 0", arg=tell, timeout=60000)
        except PlaywrightTimeout:
            raise AssertionError(f"{tell!r} still readable: {page.evaluate(READABLE, tell)}") from None
    assert "Hidden until you answer question" in page.locator(".seqviz-veiled").first.get_attribute(
        "data-veil-label")
    give(page, a)
    page.wait_for_selector(f".st-key-question_{a.step}_{a.n} [data-testid=stAlertContentSuccess]", timeout=300000)
    settle(page)
    page.wait_for_function("() => !document.querySelector('.seqviz-veiled')", timeout=60000)
    assert_no_exception(page)
    for tell in a.tells:
        assert page.evaluate(READABLE, tell), tell  # the page's own sentence is back
    page.close()


def test_worksheet_downloads_opens_offline_and_prints(chromium, questions_server, tmp_path):
    page = chromium.new_page(viewport={"width": 1024, "height": 768}, accept_downloads=True)
    page.goto(f"{questions_server}/?" + urlencode({"step": 1, "sentence": CAT}))
    settle(page, expect=".st-key-worksheet")
    page.locator(".st-key-worksheet input").fill(CAT)
    page.locator(".st-key-worksheet input").press("Enter")
    settle(page)
    files = {}
    for name in ("worksheet_sheet", "worksheet_key"):
        with page.expect_download(timeout=300000) as download:
            page.locator(f".st-key-{name} button").click()
        files[name] = tmp_path / download.value.suggested_filename
        download.value.save_as(files[name])
    page.close()
    assert files["worksheet_key"].name.endswith("-answers.html")
    context = chromium.new_context(offline=True, viewport={"width": 1024, "height": 768})
    for name, path in files.items():
        sheet = context.new_page()
        requests: list[str] = []
        sheet.on("request", lambda r, seen=requests: seen.append(r.url))
        sheet.goto(path.as_uri())
        figures = sheet.locator(".figure .plotly-graph-div").count()
        sheet.wait_for_function(f"() => document.querySelectorAll('.figure .main-svg').length >= {figures}",
                                timeout=120000)
        assert figures >= (9 if name == "worksheet_sheet" else 18)
        assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
        assert sheet.locator(".question").count() == sum(len(s) for s in lab.SHAPE.values())
        text = sheet.locator("body").inner_text()
        assert ("Answer:" in text) == (name == "worksheet_key") and "because it was comfortable" in text
        sheet.emulate_media(media="print")
        pdf = sheet.pdf(format="A4", print_background=True)
        assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 5
        sheet.close()
    context.close()


def test_hostile_sentence_shows_as_text(chromium, questions_server):
    page = chromium.new_page(viewport={"width": 1024, "height": 768})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{questions_server}/?" + urlencode({"step": 9, "sentence": "<script>alert(1)</script> 🙂"}))
    settle(page, expect=".st-key-question_9_2")
    assert_no_exception(page)
    assert not dialogs and page.locator(".st-key-question_9_1").count() == 1
    page.close()
