"""`python -m seqviz.ui.server [STREAMLIT OPTIONS]`: Streamlit's `streamlit run app.py`, in a process that starts
warming the lesson's caches (ui/warm.py) at start-up, before the first student connects.

`streamlit run app.py` alone runs none of the app's code until a browser opens a page, so its warm-up started with
the first visit: a teacher had to open the link once before class, and the heap freeze (ui/heap.py) that follows
also froze that first visitor's session objects. Here the warm-up thread starts first and the server second, in
the same process, so the caches the pages read are the ones warmed. `seqviz app`, `seqviz serve`'s replicas and
the classroom benchmark all start the server this way.
"""
from __future__ import annotations

import sys

from seqviz.checkpoints import REPO_DIR, use_one_thread

APP = REPO_DIR / "app.py"


def command(*options: str) -> list[str]:
    """The command line that serves the app with `options` passed on to `streamlit run app.py`."""
    return [sys.executable, "-m", "seqviz.ui.server", *options]


def main(argv: list[str] | None = None) -> int:
    from streamlit.web import cli as streamlit_cli

    from seqviz.ui.warm import start_warming

    use_one_thread()  # as app.py does: the warm-up's decodes run before the app's first line
    start_warming()  # niced background thread; SEQVIZ_WARM=0 turns it off
    args = ["run", str(APP), *(argv if argv is not None else sys.argv[1:])]
    return streamlit_cli.main(args, prog_name="streamlit")


if __name__ == "__main__":
    sys.exit(main())
