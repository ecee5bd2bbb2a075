"""A crowd gets what a student alone gets: 30 browser sessions at once on the attention, RNN and positional pages,
each with inputs of its own. Every one finishes without an exception; its translation and the numbers its charts
draw equal what the same link gives in a session alone afterwards; and the shared models were not changed by the
crowd: sentences never seen before, translated by the server after the crowd, match a model loaded here."""
from __future__ import annotations

import hashlib
import json
from urllib.parse import urlencode

import pytest

from seqviz.benchmarks.classroom import drawn, served, student_sentences
from seqviz.checkpoints import load_checkpoint
from seqviz.labs.attention import explore
from seqviz.labs.rnn import analyse

CROWD = 30
# What a chart draws: every trace's type and data arrays (plotly.js keeps them on the graph div).
CHART_NUMBERS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(g => JSON.stringify(
  (g.data || []).map(t => ({type: t.type, x: t.x, y: t.y, z: t.z, text: t.text}))))"""
TRANSLATION = """() => {
  const p = [...document.querySelectorAll('[data-testid=stMarkdownContainer] p')]
    .find(e => e.innerText.startsWith('Translation:'));
  return p ? p.innerText.slice('Translation:'.length).trim() : null;
}"""


def links(sentences: list[str]) -> list[str]:
    """A third each on the attention page, the RNN page and the positional page, all with different inputs."""
    out = []
    for i, sentence in enumerate(sentences):
        if i % 3 == 0:
            out.append("attention?" + urlencode({"sentence": sentence, "beam": 1 + i % 4}))
        elif i % 3 == 1:
            out.append("rnn?" + urlencode({"sentence": sentence, "model": ("gru-attention", "lstm-attention")[i % 2]}))
        else:
            out.append("positional?" + urlencode({"sentence": sentence, "d": 16 + 2 * i, "L": 20 + i}))
    return out


def seen(page) -> dict:
    """The translation (None on a page without one) and a digest of every chart's numbers."""
    charts = page.evaluate(CHART_NUMBERS)
    return {"translation": page.evaluate(TRANSLATION), "charts": len(charts),
            "numbers": hashlib.sha256(json.dumps(charts).encode()).hexdigest()}


@pytest.fixture(scope="module")
def own_server(server_checkpoints):
    with served(server_checkpoints) as server:
        yield server


@pytest.mark.timeout(1800)  # 60 browser sessions; a loaded 2-core machine needs the time, a quiet one 3-5 minutes
def test_thirty_at_once_see_what_one_alone_sees(own_server, chromium, server_checkpoints):
    sentences = student_sentences(CROWD + 2, seed=30)
    urls = [f"{own_server.url}/{link}" for link in links(sentences[:CROWD])]
    # Each tab is a session of its own (its own websocket); one browser context lets them share the JavaScript
    # bundle, so the machine's time goes to the server's work, which is what is under test.
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    pages = [context.new_page() for _ in urls]
    for page, url in zip(pages, urls, strict=True):
        page.goto(url, wait_until="commit")  # all thirty requested before any is awaited
    for page in pages:
        drawn(page)  # settled, every chart drawn, no exception
    in_crowd = [seen(page) for page in pages]
    context.close()
    assert all(s["charts"] for s in in_crowd)
    assert all(s["translation"] for s, url in zip(in_crowd, urls, strict=True) if "positional" not in url)

    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    for url, expected in zip(urls, in_crowd, strict=True):  # the same links, one at a time
        page = context.new_page()
        page.goto(url)
        drawn(page)
        assert seen(page) == expected, url
        page.close()

    # The shared models after the crowd: new sentences (no cache) translate as a model loaded here does.
    transformer = load_checkpoint(server_checkpoints / "transformer.safetensors")
    gru = load_checkpoint(server_checkpoints / "gru-attention.safetensors")
    for link, expected in ((f"attention?{urlencode({'sentence': sentences[CROWD]})}",
                            explore(transformer, sentences[CROWD], 1).translation),
                           (f"rnn?{urlencode({'sentence': sentences[CROWD + 1], 'model': 'gru-attention'})}",
                            analyse(gru, sentences[CROWD + 1]).translation)):
        page = context.new_page()
        page.goto(f"{own_server.url}/{link}")
        drawn(page)
        assert page.evaluate(TRANSLATION) == (expected or "(empty)"), link
        page.close()
    context.close()
