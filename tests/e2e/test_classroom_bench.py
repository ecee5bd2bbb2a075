"""The classroom benchmark's own parts (the Chromium run itself is `seqviz bench`, never a test: it measures speed)."""
from __future__ import annotations

import os
import subprocess
import sys

from seqviz.benchmarks import classroom
from seqviz.lesson import LESSON


def test_students_get_different_sentences_in_the_corpus_grammar():
    sentences = classroom.student_sentences(40, seed=1)
    assert len(sentences) == len(set(sentences)) == 40
    assert all(5 <= len(s.split()) <= 14 for s in sentences)
    assert classroom.student_sentences(40, seed=1) == sentences  # the same students in every run


def test_cpu_and_memory_are_read_from_proc():
    code = "import sys; sum(range(3_000_000)); print('ready', flush=True); sys.stdin.read()"
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == b"ready\n"  # the interpreter is up and has worked
        server = classroom.Server(proc, "http://127.0.0.1:0")
        assert server.cpu_s() > 0 and server.rss_mb() > 1
    finally:
        proc.communicate(b"")


def test_ports_and_links():
    assert classroom.free_port() in classroom.PORTS
    assert len(classroom.lesson_urls("http://x")) == len(LESSON)
    assert classroom.page_url("http://x", "attention", "I am eating") == "http://x/attention?sentence=I+am+eating"
    command = classroom.streamlit_command(8650)
    assert command[command.index("--server.port") + 1] == "8650"
    assert command[1:3] == ["-m", "seqviz.ui.server"]  # warms the lesson at start-up (seqviz/ui/server.py)


def test_an_older_copy_without_the_launcher_is_served_by_streamlit_run(tmp_path):
    command = classroom.streamlit_command(8650, root=tmp_path)
    assert command[1:4] == ["-m", "streamlit", "run"] and os.fspath(tmp_path / "app.py") in command
