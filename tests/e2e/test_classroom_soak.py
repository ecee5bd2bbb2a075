"""A long class in one tab: one student types 200 different sentences into the attention page, and the server's
memory stays bounded (its RSS after the 200th sentence is within 15 % of its RSS after the 20th), because every
cache holding a sentence's results has a bound (docs/classroom.md, "Memory")."""
from __future__ import annotations

import pytest

from seqviz.benchmarks.classroom import REPO_DIR, drawn, new_sentence, page_url, served, student_sentences, wait_warmed

SENTENCES = 200
FIRST_MARK = 20
GROWTH = 0.15


@pytest.fixture(scope="module")
def own_server(chromium, server_checkpoints, tmp_path_factory):
    """A server of its own: its process id gives the RSS, and no other test's pages are in its memory. Its
    start-up warm-up is over before the first sentence, so the RSS compared is the class's, not the warm-up's."""
    log = tmp_path_factory.mktemp("soak") / "server.log"
    with served(server_checkpoints, log=log) as server:
        wait_warmed(server, REPO_DIR)
        yield server


def test_two_hundred_sentences_in_one_session_keep_memory_bounded(own_server, chromium):
    sentences = student_sentences(SENTENCES + 1, seed=200)
    assert len(set(sentences)) == len(sentences) == SENTENCES + 1
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(page_url(own_server.url, "attention", sentences[0]))
        drawn(page)
        rss = {}
        for number, sentence in enumerate(sentences[1:], 1):
            new_sentence(page, sentence, charts=False)  # Enter, the server's run over, no exception
            if number in (FIRST_MARK, SENTENCES):
                rss[number] = own_server.rss_mb()
        drawn(page)  # the last one drawn in full, so the browser took every message the server sent
        growth = rss[SENTENCES] / rss[FIRST_MARK] - 1
        print(f"server RSS: {rss[FIRST_MARK]:.0f} MB after {FIRST_MARK} sentences, {rss[SENTENCES]:.0f} MB after "
              f"{SENTENCES} ({growth:+.1%})")
        assert growth <= GROWTH, f"RSS {rss[FIRST_MARK]:.0f} MB after {FIRST_MARK} sentences, " \
                                 f"{rss[SENTENCES]:.0f} MB after {SENTENCES} (+{growth:.0%})"
    finally:
        page.close()
