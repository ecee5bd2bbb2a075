"""Finished figures shared by every session of the server process (issue 23: a class of 100 on one server).

A rerun of a page whose results are cached spent ~70 % of its time building the same Plotly figures from the
same cached arrays, once per student. Here a finished figure (built, projector-scaled, colour bars placed) is
kept under a key made of the builder's name, a digest of the arguments' *content* and the projector scale, so
the next student with the same inputs gets the same figure object.

Sharing is safe only if the key captures everything the figure depends on, so `content_digest` accepts a closed
list of types and raises TypeError on anything else (a torch tensor, a set, an object with hidden state); a
builder defined inside a function (a closure may capture values the key cannot see) is refused the same way.
`finished` then builds without the memo: a page never breaks and never gets another student's figure.

A stored figure is never changed: ui/charts.py only reads it (st.plotly_chart deep-copies it with to_dict).
"""
from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import logging
import struct
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

# One page view's figures are 54 KB (attention), 147 KB (RNN) and 351 KB (positional) of JSON (AppTest, issue 23).
# A figure is kept as that JSON text (SpecFigure): as Python objects it took 2-7x as much, 115 KB a figure on
# average for the attention page (tracemalloc, 44 figures), and a 200-sentence soak grew the server by 16 %.
# 24 MB holds ~70 positional views (every lesson step's preset at both scales, several times over) and is what
# the memo can add to a process that must stay under 600 MB with every model loaded (issue 23, item 3).
MAX_BYTES = 24 * 1024 * 1024
MAX_ENTRIES = 2000  # an entry costs ~2 KB besides its text (key, objects): 4 MB for many tiny figures

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Finished:
    """A figure as the page shows it, and what the page says beside it (computed once, with the figure)."""
    figure: go.Figure
    wide: bool  # wider than the main column: it scrolls sideways, with a hint above it
    bar: bool  # it draws a colour bar (the hint says where it stands)
    width: int | None = None  # the figure's own px width, kept by the page (None: as wide as its column)


class SpecFigure(go.Figure):
    """A finished figure kept as the JSON text Streamlit sends to the browser, which is all it holds.

    st.plotly_chart reads a plotly figure through `to_dict()` (plotly.tools.return_figure_from_figure_or_data)
    and then writes that dict as JSON, so a fresh dict parsed from the text is all it needs; a go.Figure's
    validators and property objects took 2-7x the JSON's size. go.Figure.__init__ is skipped: even an empty one
    costs 38 KB and 2.5 ms. tests/unit/test_figure_memo.py checks that Streamlit's spec equals the original's.
    """

    def __new__(cls, spec: bytes) -> SpecFigure:
        self = object.__new__(cls)
        object.__setattr__(self, "_spec", spec)
        return self

    def __init__(self, spec: bytes) -> None:  # the state is set in __new__; nothing of go.Figure's is built
        pass

    @property
    def spec(self) -> bytes:
        """UTF-8: a str holding one token such as '▁I' would take 2 or 4 bytes for every character."""
        return object.__getattribute__(self, "_spec")

    def to_dict(self) -> dict:
        return json.loads(self.spec)  # a fresh dict each time: Streamlit's writer removes trace uids in place

    def __repr__(self) -> str:
        return f"SpecFigure({len(self.spec)} bytes of JSON)"


def kept(value: Finished) -> Finished:
    """`value` as the memo keeps it: its figure as JSON text."""
    return dataclasses.replace(value, figure=SpecFigure(pio.to_json(value.figure, validate=False).encode()))


def content_digest(*parts: Any) -> str:
    """A hex digest of the content of `parts`: equal for equal content in distinct objects, different when any
    value, dtype, shape, type or order differs. Raises TypeError for a value it cannot read completely."""
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        _feed(h, part)
    return h.hexdigest()


def _feed(h: Any, x: Any) -> None:
    # Every value is written with its type's tag and a length where needed, so ("ab", "c") != ("a", "bc") and
    # 1 != 1.0 != True (a builder may treat them differently; a miss costs less than a wrong figure).
    if x is None or isinstance(x, bool):
        h.update(b"N" if x is None else b"T" if x else b"F")
    elif isinstance(x, enum.Enum):
        _tagged(h, b"E", f"{type(x).__module__}.{type(x).__qualname__}.{x.name}".encode())
    elif isinstance(x, int):
        _tagged(h, b"I", str(x).encode())
    elif isinstance(x, float):
        h.update(b"D" + struct.pack("<d", x))
    elif isinstance(x, str):
        _tagged(h, b"S", x.encode("utf-8", "surrogatepass"))
    elif isinstance(x, bytes):
        _tagged(h, b"B", x)
    elif isinstance(x, np.ndarray | np.generic):
        _array(h, np.asarray(x), b"A" if isinstance(x, np.ndarray) else b"G")
    elif isinstance(x, tuple | list):
        _tagged(h, b"L" if isinstance(x, list) else b"U", str(len(x)).encode())
        for item in x:
            _feed(h, item)
    elif type(x) is dict:  # insertion order kept: a builder may draw in that order
        _tagged(h, b"M", str(len(x)).encode())
        for k, v in x.items():
            _feed(h, k)
            _feed(h, v)
    elif dataclasses.is_dataclass(x) and not isinstance(x, type):
        _tagged(h, b"C", f"{type(x).__module__}.{type(x).__qualname__}".encode())
        for field in dataclasses.fields(x):
            _tagged(h, b"f", field.name.encode())
            _feed(h, getattr(x, field.name))
    elif type(x).__module__.split(".")[0] == "torch":
        raise TypeError(f"content_digest refuses a {type(x).__module__}.{type(x).__qualname__}: a tensor may live "
                        "on another device or carry autograd state; give the builder a numpy array")
    else:
        raise TypeError(f"content_digest cannot read a {type(x).__module__}.{type(x).__qualname__}: add its type "
                        "to figure_memo._feed, or call the builder without the memo")


def _tagged(h: Any, tag: bytes, payload: bytes) -> None:
    h.update(tag + struct.pack("<Q", len(payload)) + payload)


def _array(h: Any, a: np.ndarray, tag: bytes) -> None:
    if a.dtype.hasobject:  # its bytes are pointers, not values
        raise TypeError("content_digest cannot read a numpy array of Python objects (dtype=object)")
    _tagged(h, tag, f"{a.dtype.str}|{a.shape}".encode())
    h.update(np.ascontiguousarray(a).tobytes())


def memo_key(builder: Callable[..., Any], args: tuple, kwargs: Mapping[str, Any], scale: float) -> tuple:
    """(builder's module.qualname, digest of args and kwargs, scale). TypeError when a part cannot be keyed."""
    qualname = getattr(builder, "__qualname__", None)
    module = getattr(builder, "__module__", None)
    # <lambda>, <locals>: a closure's captures are unseen; __main__: a page script, rerun in a fresh namespace,
    # where two pages may define functions of one name
    if not qualname or not module or "<" in qualname or module == "__main__":
        raise TypeError(f"figure_memo needs a module-level builder function of an imported module, not {builder!r}")
    return f"{module}.{qualname}", content_digest(args, dict(sorted(kwargs.items()))), float(scale)


class FigureMemo:
    """A thread-safe LRU of Finished figures kept as JSON text, bounded by that text's total size and a count.

    One build per key at a time: a class opening a lesson step at once would otherwise have every session miss
    and build the same figure before the first one is stored. `hits` counts figures served from the memo
    (also after waiting for another session's build), `misses` figures built here.
    """

    def __init__(self, max_bytes: int = MAX_BYTES, max_entries: int = MAX_ENTRIES) -> None:
        self.max_bytes, self.max_entries = max_bytes, max_entries
        self._items: OrderedDict[tuple, tuple[Finished, int]] = OrderedDict()
        self._building: dict[tuple, threading.Lock] = {}
        self._lock = threading.Lock()
        self._bytes = 0
        self.hits = self.misses = self.unkeyed = self.evicted = 0

    def get_or_build(self, key: tuple, build: Callable[[], Finished]) -> Finished:
        """The stored figure for `key`, else build() stored under it (once, whichever session asks first)."""
        found = self._lookup(key)
        if found is not None:
            return found
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:  # a session asking for the same key meanwhile waits here, then finds it stored
            try:
                found = self._lookup(key)
                if found is not None:
                    return found
                with self._lock:
                    self.misses += 1
                return self._store(key, build())
            finally:
                with self._lock:
                    if self._building.get(key) is building:
                        del self._building[key]

    def _lookup(self, key: tuple) -> Finished | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def _store(self, key: tuple, value: Finished) -> Finished:
        value = kept(value)  # written once, outside the lock; every session then shows this same text
        size = len(value.figure.spec)
        if size > self.max_bytes:  # bigger than the whole budget: shown, never kept
            return value
        with self._lock:
            if key in self._items:  # cannot happen while builds hold their key's lock; never count bytes twice
                return self._items[key][0]
            self._items[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes or len(self._items) > self.max_entries:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped
                self.evicted += 1
            return value

    def count_unkeyed(self) -> None:
        with self._lock:
            self.unkeyed += 1

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"hits": self.hits, "misses": self.misses, "unkeyed": self.unkeyed, "evicted": self.evicted,
                    "entries": len(self._items), "bytes": self._bytes}

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0
            self.hits = self.misses = self.unkeyed = self.evicted = 0


MEMO = FigureMemo()
_warned: set[str] = set()


def finished(builder: Callable[..., Any], args: tuple, kwargs: Mapping[str, Any], scale: float,
             finish: Callable[[Any, float], Finished], memo: FigureMemo | None = None) -> Finished:
    """The finished figure builder(*args, **kwargs) at `scale`, from the memo or built (then kept).

    An argument the digest cannot read makes this build without the memo (counted in `unkeyed`, logged once per
    builder): never a figure keyed on part of its inputs.
    """
    memo = memo or MEMO
    try:
        key = memo_key(builder, args, kwargs, scale)
    except TypeError as err:
        memo.count_unkeyed()
        name = getattr(builder, "__qualname__", repr(builder))
        if name not in _warned:
            _warned.add(name)
            log.warning("figure %s is built without the memo: %s", name, err)
        return finish(builder(*args, **kwargs), scale)
    return memo.get_or_build(key, lambda: finish(builder(*args, **kwargs), scale))


def stats() -> dict[str, int]:
    """The process memo's counters (for the bench and the tests)."""
    return MEMO.stats()
