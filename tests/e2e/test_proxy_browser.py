"""Two replicas behind a real nginx (the config `seqviz serve --nginx-conf` writes), ten students in Chromium.

Every student's page works through the proxy, each student stays on one replica (nginx's sticky cookie), the
students are spread over both, the bundle comes from nginx's disk, and when one replica is killed mid-class its
students land on the other after a reload, with their view restored from the link and a note saying they were
moved (ui/replica.py; the students who stayed see none). With no replica left, a reload shows nginx's plain "the
class server is restarting" page instead of a bare 502.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest

from seqviz.benchmarks.classroom import drawn, free_port, student_sentences, wait_healthy
from seqviz.commands import serve

STUDENTS = 10
# Preset cookie values make the spread over the two replicas the same in every run (a fresh random id per browser,
# as nginx gives it, spreads just as well but by chance); test_cookie_is_set checks nginx's own assignment.
COOKIES = [f"student-{i}" for i in range(STUDENTS)]
LOW, _, HIGH = os.environ.get("SEQVIZ_E2E_PORTS", "8650-8679").partition("-")
PORTS = range(int(LOW), int(HIGH or LOW) + 1)
MOVED = "stopped answering, so you were moved"  # ui/replica.moved_message


def replicas_of(log: str, sticky: str) -> set[str]:
    """The replicas that answered this browser's HTTP requests. Static files, answered by nginx itself, show '-';
    after a failed try nginx lists every replica it tried, and the last one answered. Websockets (101) are left
    out: nginx logs one when it closes, so a killed replica's old sockets appear after the kill."""
    pattern = rf'" (\d+) \d+ upstream=(.+) sticky={re.escape(sticky)}$'
    return {tried.split(", ")[-1] for status, tried in re.findall(pattern, log, re.M)
            if status != "101" and tried != "-"}


@pytest.fixture(scope="module")
def proxy(server_checkpoints):
    if not Path(serve.NGINX).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{serve.NGINX} is missing; .ci/run installs it with apt-get install nginx")
        pytest.skip(f"{serve.NGINX} is missing (apt-get install nginx; .ci/run installs it)")
    first = free_port(PORTS)
    ports = [first, free_port(range(first + 1, PORTS.stop))]
    listen = free_port(range(ports[1] + 1, PORTS.stop))
    procs = serve.start_replicas(ports, checkpoints=str(server_checkpoints))
    try:
        for port, proc in zip(ports, procs, strict=True):
            wait_healthy(f"http://127.0.0.1:{port}", proc)
        with serve.nginx_running(ports, listen) as prefix:
            yield {"url": f"http://127.0.0.1:{listen}", "ports": ports, "procs": procs,
                   "log": prefix / "logs/access.log"}
    finally:
        serve.stop(procs)


def test_cookie_is_set(proxy, chromium):
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(proxy["url"] + "/")
        drawn(page)
        cookie = {c["name"]: c["value"] for c in context.cookies()}.get(serve.STICKY_COOKIE)
        assert cookie, "nginx set no sticky cookie"
        assert len(replicas_of(proxy["log"].read_text(), cookie)) == 1
    finally:
        context.close()


def test_a_class_through_the_proxy(proxy, chromium):
    sentences = student_sentences(STUDENTS, seed=5)
    students = []
    for cookie, sentence in zip(COOKIES, sentences, strict=True):
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        context.add_cookies([{"name": serve.STICKY_COOKIE, "value": cookie, "url": proxy["url"]}])
        page = context.new_page()
        page.goto(f"{proxy['url']}/attention?{urlencode({'sentence': sentence})}", wait_until="commit")
        students.append((cookie, sentence, context, page))
    try:
        for _, _, _, page in students:  # all ten were requested at once; now each must finish
            drawn(page)
            assert page.get_by_text("Translation:").count()
        log = proxy["log"].read_text()
        where = {cookie: replicas_of(log, cookie) for cookie, *_ in students}
        assert all(len(replicas) == 1 for replicas in where.values()), where  # sticky
        assert {r for replicas in where.values() for r in replicas} == {f"127.0.0.1:{p}" for p in proxy["ports"]}
        assert " /static/" in log and "upstream=- " in log  # the bundle came from nginx's disk

        dead = f"127.0.0.1:{proxy['ports'][0]}"
        proxy["procs"][0].kill()  # a crash mid-class
        proxy["procs"][0].wait(timeout=20)
        moved = [s for s in students if where[s[0]] == {dead}]
        assert moved and len(moved) < len(students)
        for _, sentence, _, page in moved:
            page.reload()
            drawn(page)
            assert page.locator("[data-testid=stTextInput] input").first.input_value() == sentence
            assert page.get_by_text(MOVED).count() == 1  # and told why
        stayed = next(s for s in students if where[s[0]] != {dead})[3]
        stayed.reload()
        drawn(stayed)
        assert stayed.get_by_text(MOVED).count() == 0
        after = proxy["log"].read_text()[len(log):]
        for cookie, *_ in moved:
            assert replicas_of(after, cookie) == {f"127.0.0.1:{proxy['ports'][1]}"}

        proxy["procs"][1].kill()  # the last replica gone: a reload says so in plain words
        proxy["procs"][1].wait(timeout=20)
        page = students[0][3]
        page.reload()
        assert "The class server is restarting" in page.inner_text("body")
    finally:
        for _, _, context, _ in students:
            context.close()
