"""Sessions that end free what they held (issue 23, item 3): a student uploads sentence pairs on the training page,
closes the tab while the tokenizer is still training; the session's folder (corpus, tokenizer, model) is removed
once the session has ended for good (seqviz/ui/session_end.py), with no other student coming to trigger a garbage
collection.

Streamlit keeps an ended session for server.disconnectedSessionTTL seconds (a reconnect may resume it), so this
server runs with a TTL of 1 s, and the test waits for the folder to go (a bounded wait for a condition, never a
fixed time).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from seqviz.benchmarks.classroom import drawn, wait_healthy
from seqviz.grammar import generate_corpus
from tests.conftest import ROOT
from tests.e2e.conftest import _free_port

pytestmark = pytest.mark.e2e
BOUND_S = 300  # for a slow, loaded machine; normally a few seconds


@pytest.fixture(scope="module")
def short_ttl_server(server_checkpoints, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("server-tmp")
    port = _free_port()
    env = dict(os.environ, TMPDIR=str(tmp), SEQVIZ_CHECKPOINTS=str(server_checkpoints), SEQVIZ_WARM="0")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
         "--server.disconnectedSessionTTL", "1"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        yield url, tmp
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def folders(tmp) -> list:
    return sorted(tmp.glob("seqviz-upload-*"))


def test_an_uploaded_corpus_is_removed_when_its_session_ends(short_ttl_server, chromium):
    url, tmp = short_ttl_server
    pairs = generate_corpus(400, seed=3)[:300]
    tsv = "\n".join(f"{en}\t{fr}" for en, fr in pairs).encode()
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url + "/training?part=upload")
    drawn(page)
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(
        files=[{"name": "pairs.tsv", "mimeType": "text/tab-separated-values", "buffer": tsv}])
    page.locator(".st-key-train_upload_go button").click(timeout=BOUND_S * 1000)
    deadline = time.monotonic() + BOUND_S
    while not folders(tmp) and time.monotonic() < deadline:  # the session's own folder, once training starts
        page.wait_for_timeout(200)  # polling interval, not a wait for a result
    assert len(folders(tmp)) == 1
    context.close()  # the student leaves mid-run

    deadline = time.monotonic() + BOUND_S
    while folders(tmp) and time.monotonic() < deadline:
        time.sleep(0.2)  # polling interval, not a wait for a result
    assert folders(tmp) == [], "the ended session's upload folder is still on disk"
