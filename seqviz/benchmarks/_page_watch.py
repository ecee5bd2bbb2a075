"""What a student's browser shows, read from the page: every chart drawn, a run over, a new sentence's run seen.

A helper of the classroom section (the leading `_` keeps it out of `seqviz bench`'s section list).

Why a run is not detected from the script-state attribute alone: when the page's main thread is busy (plotly
drawing the last sentence's charts on a loaded machine), Streamlit's "script started" and "script finished"
messages wait in the queue and React renders them in one go, so the attribute never reads `running` and an
observer of it sees no run at all (reproduced by blocking the page for 2 s after Enter: 9 runs of 20 unseen).
The link is written by the page itself (`history` calls in the message handler, not a React render), and the
app mirrors the sentence into it, so a changed link is a run that cannot be hidden that way.
"""
from __future__ import annotations

import time

TIMEOUT_MS = 300_000  # a bound for a slow, loaded machine, never a wait for a result

# One JS predicate for "this student sees everything": the run is over, no skeleton is left, and every chart
# has drawn (plotly's SVG, vega's canvas or SVG).
DRAWN = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid=stSkeleton]')) return false;
  const plots = [...document.querySelectorAll('[data-testid=stPlotlyChart]')];
  const vegas = [...document.querySelectorAll('[data-testid=stVegaLiteChart]')];
  return plots.every(c => c.querySelector('.main-svg')) && vegas.every(c => c.querySelector('canvas, svg'));
}"""
CHARTS = "() => document.querySelectorAll('[data-testid=stPlotlyChart], [data-testid=stVegaLiteChart]').length"
RUN_OVER = "() => document.querySelector('[data-testid=stApp]').getAttribute('data-test-script-state') === 'notRunning'"
# Remembers the link and counts runs from now on (every change of the attribute, with its old value, so a quick
# run is counted even when the observer is called after it ended).
WATCH_RUNS = """() => {
  window.__seqvizRuns = 0;
  window.__seqvizLink = location.search;
  if (window.__seqvizWatching) return;
  window.__seqvizWatching = true;
  const app = document.querySelector('[data-testid=stApp]');
  new MutationObserver(records => {
    for (const r of records) if (r.oldValue === 'running' || app.getAttribute('data-test-script-state') === 'running') {
      window.__seqvizRuns++; return;
    }
  }).observe(app, {attributes: true, attributeOldValue: true, attributeFilter: ['data-test-script-state']});
}"""
# A run began after WATCH_RUNS: the attribute was seen running, or the page rewrote its link.
RUN_SEEN = "() => window.__seqvizRuns > 0 || location.search !== window.__seqvizLink"
STATE = """() => ({state: document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state'),
  runs: window.__seqvizRuns, link: location.search,
  box: document.querySelector('[data-testid=stTextInput] input')?.value,
  banner: document.querySelector('[data-testid=stConnectionStatus], [data-testid=stStatusWidget]')?.innerText})"""


def assert_clean(page) -> None:
    errors = page.locator("[data-testid=stException]")
    if errors.count():
        raise RuntimeError(f"{page.url}: {errors.first.inner_text()[:300]}")


def wait(page, predicate: str, what: str, timeout_ms: int = TIMEOUT_MS) -> None:
    """wait_for_function, whose timeout says what the page showed (state, runs, link, sentence box)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(predicate, timeout=timeout_ms)
    except PlaywrightTimeout as error:
        raise AssertionError(f"{what}: not within {timeout_ms / 1000:.0f} s; the page showed "
                             f"{page.evaluate(STATE)}") from error


def drawn(page, timeout_ms: int = TIMEOUT_MS) -> None:
    page.wait_for_selector("[data-testid=stAppViewContainer]", timeout=timeout_ms)
    wait(page, DRAWN, "every chart drawn", timeout_ms)
    assert_clean(page)


def new_sentence(page, sentence: str, charts: bool = True) -> float:
    """Seconds from Enter in the page's sentence box to every chart drawn again (charts=False: to the end of the
    server's run, which is all the server's memory and CPU depend on)."""
    page.evaluate(WATCH_RUNS)
    box = page.locator("[data-testid=stTextInput] input").first
    box.fill(sentence)
    start = time.perf_counter()
    box.press("Enter")
    wait(page, RUN_SEEN, f"a run for {sentence!r}")
    wait(page, DRAWN if charts else RUN_OVER, f"the run for {sentence!r} over")
    seconds = time.perf_counter() - start
    assert_clean(page)
    return seconds
