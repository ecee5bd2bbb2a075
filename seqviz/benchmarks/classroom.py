"""`seqviz bench` section for a classroom: what N students cost the real server (`streamlit run`), in Chromium.

    classroom.server_cpu_per_session_s         server CPU seconds (utime + stime from /proc) per student who
                                               opens the attention page with a sentence of their own, N at once;
                                               also per N (…_n10_s, …_n30_s; quick: 3 and 6)
    classroom.server_cpu_per_session_preset_s  the same when everyone opens one lesson step's link (what a class does)
    classroom.server_cpu_per_session_returning_s  …_s for returning students: each browser already holds Streamlit's
                                               JavaScript bundle (a first visit earlier; Streamlit serves it
                                               "immutable" for a year), so the server pays only the session
    classroom.server_cpu_per_session_preset_returning_s  the same on the lesson step's link
    classroom.preset_ratio_vs_distinct         the two above divided: a ratio, steadier than either on a busy machine
    classroom.sessions_per_core_minute         60 / server_cpu_per_session_s: students one core serves per minute
    classroom.rss_mb                           the server's resident memory after every lesson step and the crowds,
                                               i.e. with every model loaded
    classroom.cold_load_s.PAGE                 one student: navigation to every chart drawn (attention, rnn, positional)
    classroom.new_sentence_s.PAGE              one student: Enter in the sentence box to every chart drawn
    classroom.ws_kb.PAGE                       what that cold load receives over the websocket (figures and all)
    classroom.http_kb.PAGE                     and over HTTP: Streamlit's JavaScript bundle, fonts (cold browser cache)
    classroom.server_cpu_per_session_nginx_s   server_cpu_per_session_s with nginx in front serving the bundle
                                               (`seqviz serve --nginx-conf`); …_nginx_ratio: the two divided
    classroom.http_kb_nginx                    the attention page's HTTP bytes through that nginx (gzipped bundle)
    classroom.charts.PAGE                      charts the page draws on that load
    classroom.plotly_eval_s, cold_load_ratio.PAGE  same run and browser: plotly.js alone (_browser_floor.py)
    classroom.floor_first_s, …_returning_s, floor_ratio.FIGURE  same run: a one-line page (_server_floor.py)
Targets beside them (issue 23): 0.15 s, 0.05 s, 600 MB, 0.4 s, 1.5 s. Timing with Chromium is noisy when other
work runs (the load average is recorded). Alone: `python -m seqviz.benchmarks.classroom [--quick] [--checkpoints DIR]`.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from seqviz.benchmarks._browser_floor import plotly_figures, plotly_floor
from seqviz.benchmarks._page_watch import CHARTS, TIMEOUT_MS, drawn, new_sentence
from seqviz.benchmarks._server_floor import floor_command, floor_figures
from seqviz.checkpoints import ENV_VAR, REPO_DIR
from seqviz.grammar import LESSON_PAIRS, generate_corpus
from seqviz.lesson import LESSON

CHROMIUM = os.environ.get("SEQVIZ_CHROMIUM", "/usr/bin/chromium")
NGINX = "/usr/sbin/nginx"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
_LOW, _, _HIGH = os.environ.get("SEQVIZ_BENCH_PORTS", "8650-8679").partition("-")
PORTS = range(int(_LOW), int(_HIGH or _LOW) + 1)  # the ports the benchmark serves on (SEQVIZ_BENCH_PORTS=LOW-HIGH)
TARGETS = {"server_cpu_per_session_s": 0.15, "server_cpu_per_session_preset_s": 0.05, "rss_mb": 600,
           "new_sentence_s": 0.4, "cold_load_s": 1.5}
PRESET_STEP = 7  # "Multi-head attention": the attention page's model view of a 10-word sentence
BROWSER_PAGES = ("attention", "rnn", "positional")
def free_port(ports: range = PORTS) -> int:
    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    log: Path | None = None

    def cpu_s(self) -> float:
        """utime + stime of the server process (all its threads), in seconds."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS line")


def wait_healthy(url: str, proc: subprocess.Popen | None = None, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server at {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=5):
                return
        except OSError:
            time.sleep(0.3)  # polling interval, not a wait for a result
    raise RuntimeError(f"the server at {url} did not start")


def streamlit_command(port: int, address: str = "127.0.0.1", root: Path = REPO_DIR) -> list[str]:
    """How `seqviz app` serves `root`: through seqviz.ui.server (warming at start-up), or `streamlit run app.py` for
    an older copy of the repository that has no seqviz/ui/server.py (a before/after)."""
    options = ["--server.headless", "true", "--server.port", str(port), "--server.address", address,
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    if (Path(root) / "seqviz" / "ui" / "server.py").is_file():
        return [sys.executable, "-m", "seqviz.ui.server", *options]
    return [sys.executable, "-m", "streamlit", "run", str(Path(root) / "app.py"), *options]


@contextmanager
def served(checkpoints: str | Path | None = None, port: int | None = None, log: Path | None = None,
           root: Path = REPO_DIR, command: Callable[[int], list[str]] | None = None) -> Iterator[Server]:
    """The real app, `streamlit run app.py`, on a free port of PORTS; stopped on exit. `root`: another copy of
    the repository to serve (its own seqviz package first on the path), e.g. a `git archive`; `command`: port ->
    the command to serve something else (the one-line reference page)."""
    port = port or free_port()
    env = dict(os.environ, PYTHONPATH=str(root))
    if checkpoints is not None:
        env[ENV_VAR] = str(Path(checkpoints).resolve())
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 — closed below
    argv = command(port) if command else streamlit_command(port, root=root)
    proc = subprocess.Popen(argv, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc)
        yield Server(proc, url, log)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if log:
            out.close()


@contextmanager
def chromium() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def student_sentences(n: int, seed: int = 23) -> list[str]:
    """n different sentences in the corpus's grammar, 5-14 words, so every one is a different cache key."""
    pairs = generate_corpus(40 * n + 200, seed)[len(LESSON_PAIRS):]  # the lesson's own pairs come first
    picked = [en for en, _ in pairs if 5 <= len(en.split()) <= 14]
    return picked[:n]


def page_url(base: str, page: str, sentence: str | None = None) -> str:
    return f"{base}/{page}" + (f"?{urlencode({'sentence': sentence})}" if sentence else "")


def crowd(server: Server, browser, urls: list[str], contexts: list | None = None) -> tuple[float, list]:
    """Every url in its own browser context (its own session), all requested at once; returns the server CPU
    seconds they cost together and the (context, page) pairs, settled and free of exceptions. `contexts`: the
    browsers to open them in (e.g. ones that already hold the JavaScript bundle), else new ones."""
    before = server.cpu_s()
    sessions = []
    for i, url in enumerate(urls):  # "commit" returns as soon as the request is answered, so the sessions overlap
        context = contexts[i] if contexts else browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
        sessions.append((context, page))
    for _, page in sessions:
        drawn(page)
    return server.cpu_s() - before, sessions


def close_all(sessions: list) -> None:
    for context, _ in sessions:
        context.close()


def cold_load(browser, url: str) -> dict:
    """One student, a fresh browser context: seconds from navigation to every chart drawn, websocket bytes."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    received, requests = [0], []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: received.__setitem__(
        0, received[0] + len(frame if isinstance(frame, (bytes, str)) else b""))))
    page.on("requestfinished", lambda request: requests.append(request))
    start = time.perf_counter()
    page.goto(url, timeout=TIMEOUT_MS)
    drawn(page)
    seconds = time.perf_counter() - start
    http = sum(max(r.sizes()["responseBodySize"], 0) for r in requests)  # as sent: compressed when it was
    return {"seconds": seconds, "ws_bytes": received[0], "http_bytes": http, "charts": page.evaluate(CHARTS),
            "page": page, "context": context}


def lesson_urls(base: str) -> list[str]:
    return [f"{base}/{step.link(n)}" for n, step in enumerate(LESSON, 1)]


def per_session_cpu(server: Server, browser, urls: list[str]) -> float:
    seconds, sessions = crowd(server, browser, urls)
    close_all(sessions)
    return seconds / len(urls)


def returning_cpu(server: Server, browser, urls: list[str], first_visit: str) -> float:
    """Server CPU per session for returning students: each browser context first visits `first_visit` (which
    loads and caches the bundle; not measured), then all open their url at once in a new tab (a new session)."""
    _, primed = crowd(server, browser, [first_visit] * len(urls))
    for _, page in primed:
        page.close()  # that session ends; the context keeps its HTTP cache
    seconds, sessions = crowd(server, browser, urls, contexts=[context for context, _ in primed])
    close_all(sessions)
    return seconds / len(urls)


def cpu_figures(server: Server, browser, sizes: tuple[int, ...], sentences: list[str]) -> dict:
    """The per-session CPU figures (first visit and returning, own sentence and lesson step); uses
    2 * sum(sizes) sentences from the front of `sentences`."""
    base, out, used = server.url, {}, 0
    for n in sizes:
        urls = [page_url(base, "attention", s) for s in sentences[used:used + n]]
        used += n
        out[f"classroom.server_cpu_per_session_n{n}_s"] = round(per_session_cpu(server, browser, urls), 4)
        urls = [page_url(base, "attention", s) for s in sentences[used:used + n]]
        used += n
        out[f"classroom.server_cpu_per_session_returning_n{n}_s"] = round(
            returning_cpu(server, browser, urls, page_url(base, "attention")), 4)
    for kind in ("", "_returning"):
        out[f"classroom.server_cpu_per_session{kind}_s"] = out[f"classroom.server_cpu_per_session{kind}_n{sizes[-1]}_s"]
    preset = f"{base}/{LESSON[PRESET_STEP - 1].link(PRESET_STEP)}"
    per_session_cpu(server, browser, [preset])  # the first student computes it (or finds it warmed)
    out["classroom.server_cpu_per_session_preset_s"] = round(per_session_cpu(server, browser, [preset] * sizes[-1]), 4)
    out["classroom.server_cpu_per_session_preset_returning_s"] = round(
        returning_cpu(server, browser, [preset] * sizes[-1], page_url(base, "attention")), 4)
    out["classroom.preset_ratio_vs_distinct"] = round(
        out["classroom.server_cpu_per_session_preset_s"] / max(out["classroom.server_cpu_per_session_s"], 1e-9), 3)
    out["classroom.returning_ratio_vs_first_visit"] = round(
        out["classroom.server_cpu_per_session_returning_s"] / max(out["classroom.server_cpu_per_session_s"], 1e-9), 3)
    out["classroom.sessions_per_core_minute"] = round(60 / max(out["classroom.server_cpu_per_session_s"], 1e-9))
    return out


def streamlit_floor(browser, n: int, figures: dict) -> dict:
    """A one-line page's cost per session (n first visits, n returning), and `figures` as ratios to it."""
    with served(command=floor_command) as server:
        per_session_cpu(server, browser, [server.url])  # the imports and the first script run, not counted
        floor = {"first_s": per_session_cpu(server, browser, [server.url] * n),
                 "returning_s": returning_cpu(server, browser, [server.url] * n, server.url)}
    return floor_figures(floor, figures)


def behind_nginx(server: Server, browser, sentences: list[str], direct: float) -> dict:
    """The same crowd through nginx serving the bundle from disk: what the app's process still pays."""
    from seqviz.commands.serve import nginx_running

    port = int(server.url.rsplit(":", 1)[1])
    listen = free_port(range(port + 1, PORTS.stop))
    with nginx_running([port], listen):
        base = f"http://127.0.0.1:{listen}"
        load = cold_load(browser, page_url(base, "attention", sentences[0]))
        load["context"].close()
        cpu = per_session_cpu(server, browser, [page_url(base, "attention", s) for s in sentences[1:]])
    return {"classroom.server_cpu_per_session_nginx_s": round(cpu, 4),
            "classroom.server_cpu_per_session_nginx_ratio": round(cpu / max(direct, 1e-9), 3),
            "classroom.http_kb_nginx": round(load["http_bytes"] / 1024, 1)}


WARMED = "lesson results warmed"  # what seqviz/ui/warm.py prints when the lesson's caches are full


def wait_warmed(server: Server, root: Path, timeout_s: float = 600) -> None:
    """Wait until the server's background warm-up is over (if that app has one), so that it is not counted in
    the students' CPU: a class starts after the teacher's first visit has warmed the lesson."""
    if server.log is None or "start_warming" not in (Path(root) / "app.py").read_text():
        return
    deadline = time.monotonic() + timeout_s
    while WARMED not in server.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.5)  # polling interval, not a wait for a result


def run(checkpoints: str | None = None, quick: bool = False, sizes: tuple[int, ...] | None = None,
        cpu_only: bool = False, root: Path = REPO_DIR) -> dict:
    """The classroom.* figures (see the module docstring). Needs Chromium; without it, says so in the result.
    `sizes`: the crowds (default 10 and 30, quick 3 and 6); cpu_only: only the per-session CPU figures; `root`:
    the copy of the repository to serve (e.g. `git archive` of an older commit, for a before/after)."""
    if not Path(CHROMIUM).exists():
        return {"classroom.skipped": f"{CHROMIUM} is missing (apt-get install chromium)"}
    sizes = sizes or ((3, 6) if quick else (10, 30))
    out: dict = {"classroom.load_average": round(os.getloadavg()[0], 2), "classroom.cores": os.cpu_count()}
    log = Path(tempfile.mkdtemp(prefix="seqviz-bench-")) / "server.log"
    with served(checkpoints, log=log, root=Path(root)) as server, chromium() as browser:
        base = server.url
        warm = cold_load(browser, page_url(base, "attention", "I am eating"))  # imports, model, JS bundle once
        warm["context"].close()
        wait_warmed(server, Path(root))
        sentences = student_sentences(4 * sum(sizes) + 2 * len(BROWSER_PAGES), seed=23)
        out.update(cpu_figures(server, browser, sizes, sentences))
        used = 2 * sum(sizes)
        out.update(streamlit_floor(browser, sizes[-1], out))
        if cpu_only:
            return out
        floor = plotly_floor(browser)
        for page_name in BROWSER_PAGES:
            sentence = None if page_name == "positional" else sentences[used]
            used += 1
            load = cold_load(browser, page_url(base, page_name, sentence))
            out[f"classroom.cold_load_s.{page_name}"] = round(load["seconds"], 3)
            out[f"classroom.ws_kb.{page_name}"] = round(load["ws_bytes"] / 1024, 1)
            out[f"classroom.http_kb.{page_name}"] = round(load["http_bytes"] / 1024, 1)
            out[f"classroom.charts.{page_name}"] = load["charts"]
            if page_name != "positional":  # the positional page's sentence box is further down, in its model part
                out[f"classroom.new_sentence_s.{page_name}"] = round(new_sentence(load["page"], sentences[used]), 3)
                used += 1
            load["context"].close()
        out.update(plotly_figures(floor, {name: out[f"classroom.cold_load_s.{name}"] for name in BROWSER_PAGES}))
        if Path(NGINX).exists():
            out.update(behind_nginx(server, browser, sentences[used:used + sizes[-1]],
                                    out["classroom.server_cpu_per_session_s"]))
        for url in lesson_urls(base):  # every lesson step once, so every model is loaded
            per_session_cpu(server, browser, [url])
        out["classroom.rss_mb"] = round(server.rss_mb(), 1)
    for key, target in TARGETS.items():
        out[f"classroom.target.{key}"] = target
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m seqviz.benchmarks.classroom", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="3 and 6 students instead of 10 and 30")
    p.add_argument("--checkpoints", default=None)
    p.add_argument("--sizes", default=None, help="crowd sizes, e.g. 10 or 10,30")
    p.add_argument("--cpu-only", action="store_true", help="only the per-session CPU figures")
    p.add_argument("--root", default=REPO_DIR, help="serve this copy of the repository (a before/after)")
    args = p.parse_args(argv)
    sizes = tuple(int(n) for n in args.sizes.split(",")) if args.sizes else None
    print(json.dumps(run(args.checkpoints, args.quick, sizes, args.cpu_only, args.root), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
