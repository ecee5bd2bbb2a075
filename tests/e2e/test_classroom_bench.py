"""The classroom benchmark's own parts (the Chromium run itself is `seqviz bench`, never a test: it measures speed)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

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


def test_cold_loads_are_divided_by_the_floor_and_a_bad_floor_is_refused():
    from seqviz.benchmarks._browser_floor import cold_load_ratios, plotly_figures, plotly_js

    assert cold_load_ratios({"attention": 4.0, "rnn": 1.0}, 2.0) == {"attention": 2.0, "rnn": 0.5}
    keys = plotly_figures({"load_s": 1.6, "first_chart_s": 0.1}, {"rnn": 4.0})
    assert keys == {"classroom.plotly_eval_s": 1.6, "classroom.plotly_first_chart_s": 0.1,
                    "classroom.cold_load_ratio.rnn": 2.5}
    with pytest.raises(ValueError, match="positive"):
        cold_load_ratios({"attention": 4.0}, 0.0)
    assert plotly_js().stat().st_size > 1_000_000  # the whole plotly.js, as Streamlit's chunk holds it


def test_the_floor_loads_plotly_and_draws_a_heatmap_in_chromium(chromium):
    """It measures a real load: the script ran (Plotly drew), so both times are positive (never compared to a
    number, which would depend on the machine). The suite's browser: a second sync Playwright in this thread
    would fail while the session's is open."""
    from seqviz.benchmarks._browser_floor import plotly_floor

    floor = plotly_floor(chromium, repeats=1)
    assert floor["load_s"] > 0 and floor["first_chart_s"] > 0 and floor["kb"] > 1000


def test_per_session_figures_are_divided_by_the_floor_of_their_kind():
    from seqviz.benchmarks._server_floor import figure_name, floor_figures, floor_ratios

    assert figure_name("classroom.server_cpu_per_session_s") == "first"
    assert figure_name("classroom.server_cpu_per_session_preset_returning_s") == "preset_returning"
    assert figure_name("classroom.server_cpu_per_session_n30_s") is None
    assert figure_name("classroom.server_cpu_per_session_nginx_ratio") is None
    assert figure_name("classroom.rss_mb") is None
    floor = {"first_s": 0.2, "returning_s": 0.05}
    assert floor_ratios({"first": 0.4, "preset_returning": 0.1}, floor) == {"first": 2.0, "preset_returning": 2.0}
    with pytest.raises(ValueError, match="positive"):
        floor_ratios({"returning": 0.1}, {"first_s": 0.2, "returning_s": 0.0})
    figures = {"classroom.server_cpu_per_session_s": 0.4, "classroom.server_cpu_per_session_n30_s": 9.0}
    keys = floor_figures(floor, figures)
    assert keys == {"classroom.floor_first_s": 0.2, "classroom.floor_returning_s": 0.05,
                    "classroom.floor_ratio.first": 2.0}


def test_the_floor_page_is_served_with_the_apps_options():
    from seqviz.benchmarks._server_floor import APP, floor_command

    command = floor_command(8650)
    app_options = classroom.streamlit_command(8650)
    assert APP.is_file() and str(APP) in command
    assert command[command.index("--server.fileWatcherType") + 1] == "none"  # as seqviz app serves
    assert set(command[command.index("--server.headless"):]) <= set(app_options)
