"""The reference the per-student CPU figures are measured against: what one session costs Streamlit itself, on
this machine, in this run, for a page of one title and one line (_floor_app.py), served with the options
`seqviz app` uses.

A first visit there still pays for Streamlit's JavaScript bundle, and a returning one for the websocket, the
session and a script run. Whatever seqviz adds is the difference, so the classroom section also gives its
figures as ratios to these (`classroom.floor_ratio…`): a ratio near 1 means nothing is left for the app to save.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

APP = Path(__file__).with_name("_floor_app.py")


def floor_command(port: int) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true", "--server.port",
            str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none"]


def floor_ratios(figures: dict[str, float], floor: dict[str, float]) -> dict[str, float]:
    """Each per-session figure divided by the floor of its kind (first visit or returning)."""
    out = {}
    for name, seconds in figures.items():
        ref = floor["returning_s"] if "returning" in name else floor["first_s"]
        if ref <= 0:
            raise ValueError(f"the floor for {name} must be positive, got {ref}")
        out[name] = round(seconds / ref, 2)
    return out


def figure_name(key: str) -> str | None:
    """classroom.server_cpu_per_session_preset_returning_s -> "preset_returning"; the bare figure is "first";
    None for the per-crowd-size copies (…_n30_s) and anything else."""
    prefix = "classroom.server_cpu_per_session"
    if not key.startswith(prefix) or re.search(r"_n\d+_", key) or not key.endswith("_s"):
        return None
    return key[len(prefix):-2].strip("_") or "first"


def floor_figures(floor: dict[str, float], figures: dict) -> dict:
    """The floor (`first_s`, `returning_s`: classroom.streamlit_floor measures it) and each per-session figure of
    `figures` as a ratio to it, as classroom.* keys."""
    per_session = {name: value for key, value in figures.items() if (name := figure_name(key))}
    out = {"classroom.floor_first_s": round(floor["first_s"], 4),
           "classroom.floor_returning_s": round(floor["returning_s"], 4)}
    out.update({f"classroom.floor_ratio.{name}": ratio for name, ratio in floor_ratios(per_session, floor).items()})
    return out
