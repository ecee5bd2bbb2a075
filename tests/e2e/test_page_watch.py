"""The classroom helpers see every run of a new sentence, even one a busy page never renders as `running`
(the soak test's 300 s timeout: seqviz/benchmarks/_page_watch.py says why)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from seqviz.benchmarks import _page_watch as watch
from seqviz.benchmarks._page_watch import WATCH_RUNS, drawn, new_sentence

FAKE = "http://seqviz.test/attention"
APP = "<div data-testid='stApp' data-test-script-state='notRunning'></div>"
# Once armed, the next message the page sends (the new sentence's rerun) is followed by 2 s of a blocked main
# thread: the server's "started" and "finished" messages then wait in the queue and are rendered together.
BUSY_AFTER_SEND = """(() => {
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    send.call(this, data);
    if (window.__busyArmed) {
      window.__busyArmed = false;
      setTimeout(() => { const t = performance.now(); while (performance.now() - t < 2000) {} });
    }
  };
})()"""


def _fake_page(chromium):
    page = chromium.new_page()
    page.route(FAKE + "*", lambda route: route.fulfill(status=200, content_type="text/html", body=APP))
    page.goto(FAKE)
    page.evaluate(WATCH_RUNS)
    return page


def test_a_run_over_before_the_observer_is_called_is_counted(chromium):
    page = _fake_page(chromium)
    try:
        assert page.evaluate(watch.RUN_SEEN) is False
        page.evaluate("""() => { const app = document.querySelector('[data-testid=stApp]');
          app.setAttribute('data-test-script-state', 'running');
          app.setAttribute('data-test-script-state', 'notRunning'); }""")  # one task: one observer call
        assert page.evaluate(watch.RUN_SEEN) is True
        assert page.evaluate("() => window.__seqvizRuns") == 1
    finally:
        page.close()


def test_a_rewritten_link_is_a_run_when_the_attribute_never_changed(chromium):
    page = _fake_page(chromium)
    try:
        page.evaluate("() => history.replaceState(null, '', '/attention')")  # the same link: not a run
        assert page.evaluate(watch.RUN_SEEN) is False
        page.evaluate("() => history.replaceState(null, '', '/attention?sentence=you+are+here')")
        assert page.evaluate(watch.RUN_SEEN) is True
        assert page.evaluate("() => window.__seqvizRuns") == 0
    finally:
        page.close()


def test_a_new_sentence_on_a_busy_page_is_seen_through(chromium, server):
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.add_init_script(BUSY_AFTER_SEND)
        page.goto(server + "/attention")
        drawn(page)
        for sentence in ("you are eating", "she is here", "we are happy"):
            page.evaluate("() => { window.__busyArmed = true; }")
            new_sentence(page, sentence, charts=False)
            assert parse_qs(urlsplit(page.url).query)["sentence"] == [sentence]
        drawn(page)
    finally:
        page.close()
