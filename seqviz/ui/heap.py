"""Make Streamlit's garbage collection after every script run cheap.

Streamlit calls gc.collect(2) at the end of every script run (config `runner.postScriptGC`): each student's first
run, each rerun and each fragment rerun. A full collection walks every object the collector tracks, and with
torch, plotly, altair and the app's modules loaded that is about 290,000 objects: 170 ms of CPU per run on the
2-core build machine under load (docs/classroom.md, "Where the time goes"), more
than the page's own work. Objects that live as long as the process (modules, classes, loaded models) never
become garbage, so `freeze_heap()` imports what the pages will import and moves everything alive into the
collector's permanent generation (gc.freeze): a full collection then walks only what sessions made since. Frozen
objects are still freed by reference counting; only a reference cycle among them would outlive its use, and
what is alive at start-up is the process's own furniture. Under a bare `streamlit run app.py` the warm-up starts
with the first visit, so that visitor's session is frozen too and its cycles stay for the life of the process (one
session, once; its files are freed by ui/session_end.py); seqviz/ui/server.py freezes before any session exists.
"""
from __future__ import annotations

import gc
import importlib
import pkgutil

import seqviz.figures
import seqviz.labs

HEAVY = ("torch", "plotly.graph_objects", "altair", "numpy")


def import_page_modules() -> list[str]:
    """Every module the pages draw and compute with (imported once; later imports are dictionary look-ups)."""
    names = list(HEAVY)
    for package in (seqviz.labs, seqviz.figures):
        names += [f"{package.__name__}.{m.name}" for m in pkgutil.iter_modules(package.__path__)]
    for name in names:
        importlib.import_module(name)
    return names


def freeze_heap() -> int:
    """Import the page modules, collect what is garbage already, and freeze the rest; returns the number of
    objects now in the permanent generation (may be called again: what came since is frozen too)."""
    import_page_modules()
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
