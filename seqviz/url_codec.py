"""The URL codec: one rule for every control of the page registry (seqviz/pages.py). `decode` turns a link's
text into the value a widget takes, clamping what is out of range and saying so; `encode` turns it back.
Torch- and streamlit-free, so the rule is unit-tested on its own (tests/unit/test_registry.py)."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seqviz.pages import Control

TRUE, FALSE = ("1", "true", "on", "yes"), ("0", "false", "off", "no")
MAX_ITEMS = 64  # a list in a link longer than this is cut: no widget shows more
MAX_TEXT = 2000  # inputs.MAX_INPUT_CHARS: a sentence longer than this is cut by the page anyway


def _shown(raw: str) -> str:
    return raw[:40] + ("…" if len(raw) > 40 else "")


def _number(c: Control, raw: str) -> tuple[Any, str | None]:
    """A number in [low, high], on the step grid. Unreadable gives the default; out of range is clamped."""
    try:
        value = float(raw)
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError
    except ValueError:
        return c.default, f"`{c.url}={_shown(raw)}` in the link is not a number; using {encode(c, c.default)}."
    message = None
    low = c.low if c.low is not None else value
    high = c.high if c.high is not None else value
    if not low <= value <= high:
        clamped = min(max(value, low), high)
        message = f"`{c.url}={_shown(raw)}` in the link is outside {_fmt(low)}–{_fmt(high)}; using {_fmt(clamped)}."
        value = clamped
    if c.step:
        snapped = low + math.floor((value - low) / c.step + 0.5) * c.step  # halves round up: odd d → d + 1
        snapped = min(max(snapped, low), high)
        decimals = max(0, -int(f"{c.step:e}".split("e")[1]))
        snapped = round(snapped, decimals)
        if message is None and abs(snapped - value) > 1e-9:
            message = f"`{c.url}={_shown(raw)}` in the link is off the {_fmt(c.step)} steps; using {_fmt(snapped)}."
        value = snapped
    if c.integer:
        whole = int(round(value))
        if message is None and whole != value:
            message = f"`{c.url}={_shown(raw)}` in the link is not a whole number; using {whole}."
        value = whole
    return value, message


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _choice(c: Control, raw: str) -> tuple[Any, str | None]:
    """One of the choices: numbers snap to the nearest choice; an unknown word gives the default."""
    if not c.choices:
        return raw[:100], None  # the page checks it (model names are known only at run time)
    by_text = {str(choice): choice for choice in c.choices}
    if raw in by_text:
        return by_text[raw], None
    if all(isinstance(choice, int | float) for choice in c.choices):
        try:
            asked = float(raw)
            positive = asked > 0 and all(choice > 0 for choice in c.choices)  # a log-scale slider: nearest in log
            nearest = min(c.choices, key=lambda choice: abs(math.log(choice / asked)) if positive
                          else abs(choice - asked))
        except ValueError:
            pass
        else:
            if nearest == asked:
                return nearest, None
            return nearest, f"`{c.url}={_shown(raw)}` in the link is not one of the choices; using the nearest, " \
                            f"{nearest}."
    fallback = c.default if c.default is not None else c.choices[0]
    listed = ", ".join(map(str, c.choices[:12])) + (" …" if len(c.choices) > 12 else "")
    return fallback, f"`{c.url}={_shown(raw)}` in the link is not one of {listed}; using {fallback}."


def _list(c: Control, raw: str) -> tuple[Any, str | None]:
    """Comma-separated items: known items kept in order, once; the rest left out, with a notice."""
    keep: list[Any] = []
    bad: list[str] = []
    numeric = bool(c.choices) and all(isinstance(choice, int | float) for choice in c.choices) or c.low is not None
    for part in [p.strip() for p in raw.split(",") if p.strip()][:MAX_ITEMS]:
        item: Any = part[:40]
        if numeric:
            try:
                item = int(part)
            except ValueError:
                bad.append(part)
                continue
        ok = (item in c.choices) if c.choices else (c.low is None or c.low <= item <= (c.high or item))
        if ok and item not in keep:
            keep.append(item)
        elif not ok:
            bad.append(part)
    message = None
    if c.max_items is not None and len(keep) > c.max_items:
        keep = keep[:c.max_items]
        message = f"`{c.url}` in the link lists more than {c.max_items}; the first {c.max_items} are used."
    if bad:
        allowed = (", ".join(map(str, c.choices)) if c.choices else
                   f"{_fmt(c.low)}–{_fmt(c.high)}" if c.low is not None else "")
        message = (f"`{c.url}` in the link: {_shown(', '.join(bad))} left out"
                   + (f"; choose from {allowed}." if allowed else "."))
    if not keep and bad:
        return (list(c.default) if c.default is not None else None), message
    return keep, message


def decode(c: Control, raw: str) -> tuple[Any, str | None]:
    """A link's text for control `c` as the value its widget takes, and a message when it had to be changed."""
    raw = str(raw)
    if c.kind == "number":
        return _number(c, raw)
    if c.kind == "choice":
        return _choice(c, raw)
    if c.kind == "list":
        return _list(c, raw)
    if c.kind == "flag":
        low = raw.strip().lower()
        if low in TRUE or low in FALSE:
            return low in TRUE, None
        return bool(c.default), f"`{c.url}={_shown(raw)}` in the link is not 1 or 0; using {encode(c, c.default)}."
    text = raw[:MAX_TEXT]
    return text, (f"`{c.url}` in the link is {len(raw)} characters long; only the first {MAX_TEXT} are used."
                  if len(raw) > MAX_TEXT else None)


def encode(c: Control, value: Any) -> str | None:
    """The link's text for a value (None: leave the parameter out, which means the default)."""
    if value is None:
        return None
    if c.kind == "flag":
        return "1" if value else "0"
    if c.kind == "list":
        return ",".join(map(str, value))
    if c.kind == "number":
        return _fmt(float(value)) if not isinstance(value, bool) else str(int(value))
    return str(value)


def widget_value(c: Control, value: Any) -> Any:
    """What a widget holds for a value: lists for multiselects, the rest as is."""
    return list(value) if c.kind == "list" and value is not None else value
