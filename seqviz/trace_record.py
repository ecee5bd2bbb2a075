"""`Trace`, the record of one traced run, and its JSON / NPZ files. Torch-free, so figures and
notebooks can type against the real thing; `seqviz.trace` makes them by running a model.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seqviz.names import act_name

FORMATS = ("json", "npz")


@dataclass(frozen=True)
class Trace:
    src_tokens: list[str]  # encoder input pieces, ending in </s>
    tgt_tokens: list[str]  # decoder input pieces, starting with <s>
    tensors: dict[str, np.ndarray]  # hook name (+ "_grad") -> array without the batch dim
    meta: dict = field(default_factory=dict)

    def names(self) -> list[str]:
        return list(self.tensors)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.tensors[name]

    def get(self, kind: str, layer: int | None = None, leaf: str = "pattern", grad: bool = False) -> np.ndarray:
        """Look a tensor up by parts: t.get("cross", 2, "pattern") is t["decoder.layers.2.cross_attn.hook_pattern"]."""
        name = act_name(kind, layer, leaf, grad)
        if name not in self.tensors:
            raise KeyError(f"this trace has no {name!r}")
        return self.tensors[name]


def _jsonable(a: np.ndarray):
    """Nested lists; ±inf (masked scores) and nan become null, which JSON can hold."""
    obj = a.astype(object)
    obj[~np.isfinite(a)] = None
    return obj.tolist()


def _meta(t: Trace) -> dict:
    return {"src_tokens": t.src_tokens, "tgt_tokens": t.tgt_tokens, **t.meta}


def trace_to_json(t: Trace) -> dict:
    return {"meta": _meta(t), "tensors": {name: _jsonable(a) for name, a in t.tensors.items()}}


def trace_bytes(t: Trace, fmt: str = "json") -> bytes:
    """The trace as FILE.json ({"meta", "tensors"}) or FILE.npz (arrays plus a JSON "__meta__" string) bytes."""
    if fmt == "json":
        return json.dumps(trace_to_json(t)).encode("utf-8")
    if fmt == "npz":
        buffer = io.BytesIO()
        np.savez_compressed(buffer, __meta__=np.array(json.dumps(_meta(t))), **t.tensors)  # a str array: no pickle
        return buffer.getvalue()
    raise ValueError(f"trace format must be 'json' or 'npz', got {fmt!r}")


def save_trace(t: Trace, path: str | Path) -> Path:
    """Write FILE.json or FILE.npz (see trace_bytes)."""
    path = Path(path)
    fmt = path.suffix.lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"{path}: the trace file must end in .json or .npz")
    path.write_bytes(trace_bytes(t, fmt))
    return path


def load_trace(path: str | Path) -> Trace:
    """Read a trace written by save_trace (never unpickles)."""
    path = Path(path)
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["__meta__"]))
            tensors = {k: data[k] for k in data.files if k != "__meta__"}
    else:
        raw = json.loads(path.read_text())
        meta = raw["meta"]
        tensors = {k: np.array(v, dtype=np.float64) for k, v in raw["tensors"].items()}
    return Trace(meta.pop("src_tokens"), meta.pop("tgt_tokens"), tensors, meta)
