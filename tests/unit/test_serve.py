"""`seqviz serve`: ports, the nginx upstream and config it writes, the precompressed bundle; nothing is started."""
from __future__ import annotations

import argparse
import gzip
import shutil
import subprocess
from pathlib import Path

import pytest

from seqviz.commands import serve
from seqviz.ui import replica
from seqviz.ui.replica import REPLICA_ENV, SERVED_COOKIE, STICKY_COOKIE, moved_from, moved_message


def parse(*argv: str):
    parser = argparse.ArgumentParser()
    serve.register(parser.add_subparsers())
    return parser.parse_args(["serve", *argv])


def test_consecutive_ports_and_bad_counts():
    assert serve.replica_ports(8650, 3) == [8650, 8651, 8652]
    with pytest.raises(ValueError, match="at least 1"):
        serve.replica_ports(8650, 0)
    with pytest.raises(ValueError, match="no room"):
        serve.replica_ports(65535, 2)


def test_upstream_is_sticky_by_cookie_and_lists_every_replica():
    block = serve.upstream_block([8650, 8651])
    assert "hash $seqviz_sticky consistent;" in block
    assert "ip_hash" not in block  # a class behind one NAT address would all land on one replica
    assert [line.split()[1] for line in block.splitlines() if line.strip().startswith("server ")] == [
        "127.0.0.1:8650", "127.0.0.1:8651"]


def test_config_upgrades_websockets_and_serves_the_bundle(tmp_path):
    conf = serve.nginx_conf([8650, 8651], 8670, tmp_path / "static")
    for needed in ("proxy_http_version 1.1;", "proxy_set_header Upgrade $http_upgrade;",
                   "proxy_set_header Connection $connection_upgrade;", "proxy_read_timeout 86400s;",
                   "gzip_static on;", f"alias {tmp_path / 'static'}/static/$1;", "listen 8670;"):
        assert needed in conf
    assert "alias" not in serve.nginx_conf([8650], 8670)  # without a bundle folder the replicas serve it


@pytest.mark.skipif(not Path("/usr/sbin/nginx").exists(), reason="/usr/sbin/nginx is missing (apt-get install nginx)")
def test_nginx_accepts_the_config(tmp_path):
    serve.prepare_prefix(tmp_path)
    (tmp_path / "nginx.conf").write_text(serve.nginx_conf([8650, 8651], 8670, tmp_path / "static"))
    result = subprocess.run(["/usr/sbin/nginx", "-t", "-p", str(tmp_path), "-c", "nginx.conf",
                             "-e", str(tmp_path / "logs/test-error.log")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_precompressed_copy_matches_and_is_made_once(tmp_path):
    source = tmp_path / "source"
    (source / "static/js").mkdir(parents=True)
    (source / "static/js/app.js").write_text("console.log('seqviz');" * 50)
    (source / "static/font.woff2").write_bytes(b"\x00\x01")
    dest = serve.precompress_static(tmp_path / "out", source)
    assert gzip.decompress((dest / "static/js/app.js.gz").read_bytes()) == (source / "static/js/app.js").read_bytes()
    assert not (dest / "static/font.woff2.gz").exists()  # woff2 is compressed already
    shutil.rmtree(source)
    assert serve.precompress_static(tmp_path / "out", source) == dest  # the stamp says it is done: no copy again


def test_print_only_prints_the_upstream_and_writes_the_config(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(serve, "precompress_static", lambda dest: dest)  # the real copy is 30 MB
    args = parse("--replicas", "2", "--port", "8650", "--nginx-conf", str(tmp_path / "nginx.conf"),
                 "--listen", "8670", "--print-only")
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert out.startswith(serve.upstream_block([8650, 8651]))
    assert f"nginx -p {tmp_path} -c nginx.conf" in out
    assert "listen 8670;" in (tmp_path / "nginx.conf").read_text()
    assert (tmp_path / "logs").is_dir() and (tmp_path / "tmp").is_dir()


def test_every_replica_signs_cookies_alike(tmp_path):
    env = serve.replica_env("s3cret", str(tmp_path))
    assert env["STREAMLIT_SERVER_COOKIE_SECRET"] == "s3cret"
    assert env["SEQVIZ_CHECKPOINTS"] == str(tmp_path.resolve())
    assert serve.replica_command(8650)[serve.replica_command(8650).index("--server.port") + 1] == "8650"


def test_each_replica_knows_the_name_nginx_gives_it(monkeypatch):
    """nginx writes the replica that took a websocket into a cookie; a replica compares it with its own name."""
    monkeypatch.delenv(REPLICA_ENV, raising=False)
    assert serve.replica_env("s", name="127.0.0.1:8651")[REPLICA_ENV] == "127.0.0.1:8651"
    assert REPLICA_ENV not in serve.replica_env("s")
    assert serve.replica_name("0.0.0.0", 8651) == serve.replica_name("127.0.0.1", 8651) == "127.0.0.1:8651"
    assert "server 127.0.0.1:8651 " in serve.upstream_block([8651])  # the same spelling as $upstream_addr
    conf = serve.nginx_conf([8650, 8651], 8670)
    stream = conf[conf.index('location ~ "/_stcore/stream$"'):]
    stream = stream[:stream.index("}")]
    assert "add_header Set-Cookie $seqviz_set_served always;" in stream  # on the websocket's 101
    assert f'""      "{SERVED_COOKIE}=$seqviz_upstream;' in conf  # set once: the home replica
    assert "add_header Set-Cookie $seqviz_set_cookie;" in stream  # a location's add_header drops the server's


def test_a_moved_student_is_told_once_the_cookie_names_another_replica():
    assert moved_from("127.0.0.1:8650", "127.0.0.1:8651") == "127.0.0.1:8650"
    assert moved_from("127.0.0.1:8651", "127.0.0.1:8651") is None  # the same replica: nothing happened
    assert moved_from(None, "127.0.0.1:8651") is None  # a first visit
    assert moved_from("127.0.0.1:8650", None) is None  # a server started alone, without nginx
    assert "127.0.0.1:8650" in moved_message("127.0.0.1:8650", 0.0) and "moved" in moved_message("x", 0.0)


def test_the_new_replica_tells_a_moved_browser_for_a_while(monkeypatch):
    """Every session of a moved browser (the page's own reconnection, a reload) shows the note for KEEP_S seconds
    after the new replica first saw that browser; then none. A browser at home never sees it."""
    monkeypatch.setattr(replica, "_taken_over", {})
    me, dead = "127.0.0.1:8651", "127.0.0.1:8650"
    assert replica.arrival({STICKY_COOKIE: "a", SERVED_COOKIE: dead}, me, 100.0) == (dead, 100.0)
    assert replica.arrival({STICKY_COOKIE: "a", SERVED_COOKIE: dead}, me, 160.0) == (dead, 100.0)  # a reload
    assert replica.arrival({STICKY_COOKIE: "a", SERVED_COOKIE: dead}, me, 100.0 + replica.KEEP_S + 1) is None
    assert replica.arrival({STICKY_COOKIE: "b", SERVED_COOKIE: me}, me, 160.0) is None  # a student at home
    assert replica.arrival({STICKY_COOKIE: "c", SERVED_COOKIE: dead}, None, 100.0) is None  # no nginx, no name
    monkeypatch.setattr(replica, "MAX_REMEMBERED", 2)
    for sticky in "xyz":
        replica.first_seen(sticky, 200.0)
    assert list(replica._taken_over) == ["y", "z"]  # bounded: the oldest went first


def test_the_shipped_example_is_what_serve_writes():
    from seqviz.checkpoints import REPO_DIR

    shipped = (REPO_DIR / "deploy/nginx.conf").read_text().split("\n", 1)[1]  # the first line says how it was made
    assert shipped == serve.nginx_conf([8501, 8502], 80, Path("/srv/seqviz/streamlit-static")).split("\n", 1)[1]
