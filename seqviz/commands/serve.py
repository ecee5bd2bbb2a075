"""`seqviz serve --replicas N --port P`: N Streamlit processes on consecutive ports, for nginx to put behind one URL.

A Streamlit session lives in one process's websocket, so more students than one process can hold means several
replicas behind a reverse proxy that keeps each browser on its replica (docs/classroom.md). This command starts
the replicas, prints the nginx `upstream` block for them, and with --nginx-conf writes a complete nginx
configuration that also serves Streamlit's own JavaScript bundle from disk, gzipped in advance: that bundle is
about 10 MB per student and, served by the app, half of the server's CPU per student (issue 23's profile).

    seqviz serve --replicas 2 --port 8650                       # replicas; prints the upstream block
    seqviz serve --replicas 2 --port 8650 --nginx-conf DIR/nginx.conf --listen 8080   # and a full nginx config
    nginx -p DIR -c nginx.conf -g 'daemon off;'                 # run nginx with it (any user, any folder)
"""
from __future__ import annotations

import argparse
import gzip
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import streamlit

from seqviz.ui.replica import REPLICA_ENV, SERVED_COOKIE, STICKY_COOKIE

STATIC_SOURCE = Path(streamlit.__file__).parent / "static"
COMPRESS = (".js", ".css", ".html", ".json", ".svg", ".txt", ".map", ".ttf")  # fonts as woff2 are compressed already
LOG_FORMAT = ('$remote_addr [$time_local] "$request" $status $body_bytes_sent upstream=$upstream_addr '
              'sticky=$seqviz_sticky')
DOWN_PAGE = ("<!doctype html><title>seqviz is restarting</title><h1>The class server is restarting</h1>"
             "<p>No seqviz replica answered. Reload this page in a few seconds: your view is kept in its link.</p>")


def replica_ports(port: int, replicas: int) -> list[int]:
    if replicas < 1:
        raise ValueError(f"--replicas must be at least 1, got {replicas}")
    if not 1024 <= port <= 65535 - replicas:
        raise ValueError(f"--port {port} leaves no room for {replicas} consecutive ports")
    return list(range(port, port + replicas))


def upstream_block(ports: list[int], host: str = "127.0.0.1") -> str:
    """The replicas for nginx. Sticky by a cookie nginx sets itself (below), not ip_hash: a school's network puts
    a whole class behind one address, and ip_hash would send every student to one replica. A replica that stops
    answering is skipped for 10 s, and its students land on another one."""
    servers = "".join(f"    server {host}:{p} max_fails=1 fail_timeout=10s;\n" for p in ports)
    return f"upstream seqviz {{\n    hash $seqviz_sticky consistent;\n{servers}}}\n"


PROXY = """proxy_pass http://seqviz;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_read_timeout 86400s;
        proxy_send_timeout 86400s;
        proxy_next_upstream error timeout http_502 http_503;"""


def server_block(listen: int | str, static_dir: Path | None = None) -> str:
    """The site: the sticky cookie, websocket upgrade with a long read timeout (a lesson is an hour of one
    websocket), the static bundle from disk when `static_dir` is given, and a plain page when no replica answers.
    The first websocket's answer records which replica took it (cookie seqviz_served, the home replica), so a
    replica that receives a student whose home is another one knows the student was moved (ui/replica.py)."""
    static = "" if static_dir is None else f"""
    # Streamlit's bundle, from disk and gzipped in advance (file names carry a hash, so it may be cached a year)
    location ~ "^/(?:[^/]+/)*static/(.+)$" {{
        alias {static_dir}/static/$1;
        gzip_static on;
        add_header Cache-Control "public, immutable, max-age=31536000";
    }}
"""
    return f"""server {{
    listen {listen};
    add_header Set-Cookie $seqviz_set_cookie;
    error_page 502 503 504 = @seqviz_down;
{static}
    location / {{
        {PROXY}
    }}

    # a location's add_header replaces the server's, so the sticky cookie is repeated here; "always": on the 101
    location ~ "/_stcore/stream$" {{
        {PROXY}
        add_header Set-Cookie $seqviz_set_cookie;
        add_header Set-Cookie $seqviz_set_served always;
    }}

    location @seqviz_down {{
        default_type text/html;
        return 503 '{DOWN_PAGE}';
    }}
}}
"""


HTTP_MAPS = f"""map $http_upgrade $connection_upgrade {{
    default upgrade;
    ''      close;
}}
# a browser without the cookie gets a fresh random id, set as the cookie, so its later requests hash alike
map $cookie_{STICKY_COOKIE} $seqviz_sticky {{
    ""      $request_id;
    default $cookie_{STICKY_COOKIE};
}}
map $cookie_{STICKY_COOKIE} $seqviz_set_cookie {{
    ""      "{STICKY_COOKIE}=$request_id; Path=/; HttpOnly; SameSite=Lax";
    default "";
}}
# the browser's home replica: the one that took its first websocket ($upstream_addr lists every one tried, the
# one that answered last); set once, so a replica that later receives this browser knows it was moved
map $upstream_addr $seqviz_upstream {{
    "~(?<last>[^ ,]+)$" $last;
    default             "";
}}
map $cookie_{SERVED_COOKIE} $seqviz_set_served {{
    ""      "{SERVED_COOKIE}=$seqviz_upstream; Path=/; HttpOnly; SameSite=Lax";
    default "";
}}
"""


def nginx_conf(ports: list[int], listen: int | str, static_dir: Path | None = None, host: str = "127.0.0.1") -> str:
    """A complete nginx.conf, every path relative to nginx's prefix (-p DIR): no root, no /etc needed."""
    return f"""# written by `seqviz serve`; run with: nginx -p DIR -c nginx.conf -g 'daemon off;'
worker_processes 1;
pid logs/nginx.pid;
error_log logs/error.log warn;
events {{
    worker_connections 4096;
}}
http {{
    include {Path('/etc/nginx/mime.types') if Path('/etc/nginx/mime.types').is_file() else 'mime.types'};
    default_type application/octet-stream;
    log_format seqviz '{LOG_FORMAT}';
    access_log logs/access.log seqviz;
    client_body_temp_path tmp/body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;
    sendfile on;
    client_max_body_size 200m;  # Streamlit's own upload limit (server.maxUploadSize); nginx's default is 1 MB
    gzip on;
    gzip_types text/css application/javascript application/json image/svg+xml;

{indent(HTTP_MAPS)}
{indent(upstream_block(ports, host))}
{indent(server_block(listen, static_dir))}}}
"""


def indent(text: str) -> str:
    return "".join(f"    {line}" if line.strip() else line for line in text.splitlines(keepends=True))


def prepare_prefix(prefix: Path) -> None:
    """The folders a nginx_conf() config writes to. Started as root, nginx's workers run as an unprivileged user
    (www-data on Debian): they must be able to read the prefix and write tmp/ (uploads, large responses)."""
    for sub in ("logs", "tmp"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    prefix.chmod(prefix.stat().st_mode | 0o755)
    (prefix / "tmp").chmod(0o1777)  # like /tmp: anyone may write, only the owner may delete


def precompress_static(dest: Path, source: Path = STATIC_SOURCE) -> Path:
    """A copy of Streamlit's frontend in `dest` with a .gz beside every text file, for nginx's gzip_static.
    Done once per Streamlit version (a stamp file says which)."""
    stamp = dest / ".streamlit-version"
    if stamp.is_file() and stamp.read_text() == streamlit.__version__:
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest)
    for path in dest.rglob("*"):
        if path.is_file() and path.suffix in COMPRESS:
            with gzip.open(path.with_name(path.name + ".gz"), "wb", compresslevel=9) as out:
                out.write(path.read_bytes())
    stamp.write_text(streamlit.__version__)
    return dest


NGINX = "/usr/sbin/nginx"


@contextmanager
def nginx_running(ports: list[int], listen: int, nginx: str = NGINX) -> Iterator[Path]:
    """A real nginx in front of `ports` on `listen`, with the config nginx_conf() writes, in a fresh prefix folder
    (yielded: logs/access.log is there); stopped and removed on exit. Not pytest's tmp_path: that folder is
    private to its user, and nginx's workers (www-data when started as root) must read the static bundle."""
    prefix = Path(tempfile.mkdtemp(prefix="seqviz-nginx-"))
    proc = None
    try:
        prepare_prefix(prefix)
        static = precompress_static(prefix / "streamlit-static")
        (prefix / "nginx.conf").write_text(nginx_conf(ports, listen, static))
        proc = subprocess.Popen([nginx, "-p", str(prefix), "-c", "nginx.conf", "-g", "daemon off;"],
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{listen}/_stcore/health", timeout=5):
                    break
            except urllib.error.HTTPError:
                break  # nginx answered (no replica is up yet: its 503 page)
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not start on port {listen} (is the port taken?)") from None
                time.sleep(0.2)  # polling interval, not a wait for a result
        yield prefix
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=20)
        shutil.rmtree(prefix, ignore_errors=True)


def replica_command(port: int, address: str = "127.0.0.1", extra: list[str] | None = None) -> list[str]:
    from seqviz.ui.server import command  # streamlit run app.py, warming the lesson at start-up

    return command("--server.port", str(port), "--server.address", address, "--server.headless", "true",
                   "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *(extra or []))


def replica_name(address: str, port: int) -> str:
    """A replica's name as nginx's upstream block spells it (what $upstream_addr says), for $SEQVIZ_REPLICA."""
    return f"{'127.0.0.1' if address in ('0.0.0.0', '', '::') else address}:{port}"


def replica_env(cookie_secret: str, checkpoints: str | None = None, name: str | None = None) -> dict[str, str]:
    """Every replica signs cookies with one secret, so a student moved to another replica keeps a valid one;
    `name`: the replica's own name (ui/replica.py tells a moved student)."""
    from seqviz.checkpoints import ENV_VAR

    env = dict(os.environ, STREAMLIT_SERVER_COOKIE_SECRET=cookie_secret)
    if name:
        env[REPLICA_ENV] = name
    if checkpoints:
        env[ENV_VAR] = str(Path(checkpoints).resolve())
    return env


def start_replicas(ports: list[int], address: str = "127.0.0.1", checkpoints: str | None = None,
                   log_dir: Path | None = None, cookie_secret: str | None = None) -> list[subprocess.Popen]:
    from seqviz.checkpoints import REPO_DIR

    secret = cookie_secret or secrets.token_hex(32)
    procs = []
    for port in ports:
        env = replica_env(secret, checkpoints, replica_name(address, port))
        log = open(log_dir / f"replica-{port}.log", "w") if log_dir else subprocess.DEVNULL  # noqa: SIM115
        procs.append(subprocess.Popen(replica_command(port, address), cwd=REPO_DIR, env=env, stdout=log,
                                      stderr=subprocess.STDOUT))
    return procs


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def register(sub) -> None:
    sp = sub.add_parser("serve", help="start N app replicas on consecutive ports and print their nginx upstream",
                        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sp.add_argument("--replicas", type=int, default=2, help="Streamlit processes to start (about one per core)")
    sp.add_argument("--port", type=int, default=8501, help="the first replica's port; the others follow it")
    sp.add_argument("--address", default="127.0.0.1", help="where the replicas listen (nginx reaches them there)")
    sp.add_argument("--checkpoints", default=None, help="directory of checkpoints (default: the shipped ones)")
    sp.add_argument("--nginx-conf", metavar="FILE", help="also write a complete nginx config to FILE; its folder "
                    "becomes nginx's prefix (logs/, tmp/ and the gzipped static bundle go there)")
    sp.add_argument("--listen", default="8080", help="the port (or address:port) nginx listens on (default 8080)")
    sp.add_argument("--print-only", action="store_true", help="print (and write) the config, start nothing")
    sp.set_defaults(func=run)


def run(args) -> int:
    ports = replica_ports(args.port, args.replicas)
    print(upstream_block(ports), end="")
    if args.nginx_conf:
        conf = Path(args.nginx_conf).resolve()
        prepare_prefix(conf.parent)
        static = precompress_static(conf.parent / "streamlit-static")
        conf.write_text(nginx_conf(ports, args.listen, static))
        print(f"# wrote {conf}; start nginx with: nginx -p {conf.parent} -c {conf.name} -g 'daemon off;'")
    if args.print_only:
        return 0
    procs = start_replicas(ports, args.address, args.checkpoints)
    for port, proc in zip(ports, procs, strict=True):
        print(f"# replica pid {proc.pid}: http://{args.address}:{port}")
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    reported: set[int] = set()
    try:
        # A replica that exits is reported; nginx moves its students to the others, so serving goes on.
        while any(proc.poll() is None for proc in procs):
            for port, proc in zip(ports, procs, strict=True):
                if proc.poll() is not None and port not in reported:
                    reported.add(port)
                    print(f"seqviz serve: the replica on port {port} exited ({proc.returncode}); nginx sends its "
                          "students to the others", file=sys.stderr)
            time.sleep(1)  # watching the replicas, not waiting for a result
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop(procs)
