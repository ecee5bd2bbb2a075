"""figure_memo: content keys, LRU bounds, refusal of what it cannot key, and shared figures that stay unchanged."""
from __future__ import annotations

import dataclasses
import enum
import hashlib
import threading
import tracemalloc

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import plotly.tools
import pytest
from streamlit.testing.v1 import AppTest

from seqviz.figures import positional as figs
from seqviz.labs import positional as lab
from seqviz.ui import figure_memo
from seqviz.ui.charts import PROJECTOR_SCALE, finish
from seqviz.ui.figure_memo import FigureMemo, Finished, content_digest, memo_key


@dataclasses.dataclass(frozen=True)
class Point:
    x: np.ndarray
    label: str


class Colour(enum.Enum):
    RED = 1
    BLUE = 2


def bar_figure(values: np.ndarray, title: str = "") -> go.Figure:
    """A module-level builder for the bound tests: its JSON grows with `values`."""
    return go.Figure(go.Bar(y=values.tolist()), layout={"title": {"text": title}})


def tagged_figure(values: np.ndarray, tag: object = None) -> go.Figure:
    """A module-level builder that takes an argument the digest cannot read."""
    return bar_figure(values)


def explored(length: int = 40, base: float = 10000.0) -> lab.Explored:
    return lab.explore(lab.Settings(d_model=32, length=length, base=base, layout="interleaved", p=3, k=5,
                                    dims=(0, 1, 6), rows="average"))


def spec_hash(fig: go.Figure) -> str:
    return hashlib.sha256(pio.to_json(fig, validate=False).encode()).hexdigest()


def test_equal_content_in_distinct_objects_has_one_digest() -> None:
    a = (np.arange(12, dtype=np.float32).reshape(3, 4), ["▁I", "▁am"], {"k": 3, "b": 1e4}, Point(np.ones(2), "p"),
         Colour.RED, None, True, 2.5)
    b = (np.arange(12, dtype=np.float32).reshape(3, 4).copy(), ["▁I", "▁am"], {"k": 3, "b": 1e4},
         Point(np.ones(2), "p"), Colour.RED, None, True, 2.5)
    assert a[0] is not b[0]
    assert content_digest(*a) == content_digest(*b)
    # a non-contiguous view digests as its values
    assert content_digest(np.arange(8)[::2]) == content_digest(np.array([0, 2, 4, 6]))


@pytest.mark.parametrize("other", [
    np.array([[0.0, 1.0], [2.0, 3.5]]),                       # one value
    np.array([[0.0, 1.0], [2.0, 3.0]], dtype=np.float32),      # dtype
    np.array([0.0, 1.0, 2.0, 3.0]),                            # shape
    [[0.0, 1.0], [2.0, 3.0]],                                  # a list, not an array
])
def test_digest_differs_when_an_array_differs(other: object) -> None:
    assert content_digest(np.array([[0.0, 1.0], [2.0, 3.0]])) != content_digest(other)


@pytest.mark.parametrize("a, b", [
    (1, 1.0), (1, True), ("1", 1), (("ab", "c"), ("a", "bc")), ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
    (Colour.RED, Colour.BLUE), (Point(np.zeros(2), "p"), Point(np.zeros(2), "q")), ([1, 2], (1, 2)), (None, 0),
])
def test_digest_differs_by_type_value_and_order(a: object, b: object) -> None:
    assert content_digest(a) != content_digest(b)


def test_key_differs_by_kwarg_builder_and_projector_scale() -> None:
    heat = np.ones((3, 4))
    base = memo_key(figs.gram_heatmap, (heat, np.arange(3)), {}, 1.0)
    assert base == memo_key(figs.gram_heatmap, (heat.copy(), np.arange(3)), {}, 1.0)
    assert base != memo_key(figs.gram_heatmap, (heat, np.arange(3)), {"height": 400}, 1.0)
    assert base != memo_key(figs.shift_norm_chart, (heat, np.arange(3)), {}, 1.0)
    assert base != memo_key(figs.gram_heatmap, (heat, np.arange(3)), {}, PROJECTOR_SCALE)
    # keyword order does not matter to a function, so it does not matter to the key
    assert memo_key(bar_figure, (), {"values": heat, "title": "t"}, 1.0) == \
        memo_key(bar_figure, (), {"title": "t", "values": heat}, 1.0)


class Opaque:
    pass


@pytest.mark.parametrize("bad", [Opaque(), {1, 2}, np.array(["a", None], dtype=object), lambda: 1])
def test_undigestible_arguments_raise_a_clear_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="content_digest"):
        content_digest([1, bad])


def test_torch_tensors_are_refused_not_guessed() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="refuses a torch"):
        content_digest(torch.ones(3))


def test_a_closure_builder_is_refused() -> None:
    def local(values: np.ndarray) -> go.Figure:
        return bar_figure(values)

    with pytest.raises(TypeError, match="module-level"):
        memo_key(local, (np.ones(2),), {}, 1.0)
    with pytest.raises(TypeError, match="module-level"):
        memo_key(lambda v: bar_figure(v), (np.ones(2),), {}, 1.0)
    local.__module__, local.__qualname__ = "__main__", "local"  # as if defined in a page script
    with pytest.raises(TypeError, match="module-level"):
        memo_key(local, (np.ones(2),), {}, 1.0)


def test_undigestible_call_falls_back_to_building_without_the_memo() -> None:
    memo = FigureMemo()
    calls = []

    def local(values: np.ndarray) -> go.Figure:  # a closure: never keyed
        calls.append(1)
        return bar_figure(values)

    for _ in range(2):
        done = figure_memo.finished(local, (np.ones(3),), {}, 1.0, finish, memo=memo)
        assert isinstance(done, Finished)
    assert len(calls) == 2  # built each time, never shared
    figure_memo.finished(tagged_figure, (np.ones(2),), {"tag": Opaque()}, 1.0, finish, memo=memo)
    assert memo.stats() == {"hits": 0, "misses": 0, "unkeyed": 3, "evicted": 0, "entries": 0, "bytes": 0}


def test_memoised_figure_equals_the_unmemoised_one_on_real_positional_figures() -> None:
    memo = FigureMemo()
    e = explored(length=120)  # downsampled rows: a heatmap with blocks
    cases = [
        (figs.pe_heatmap, (e.heat, e.heat_positions, e.heat_dims),
         {"layout": "interleaved", "block": e.heat_block, "rows_mode": "average", "base": 10000.0}),
        (figs.wavelength_chart, (e.wavelengths, 120), {"base": 10000.0}),
        (figs.rotation_heatmap, (e.rotation, e.rotation_dims, 5), {"d_model": 32}),
        (figs.closest_rows_chart, (e.sweep_bases, list(e.sweep_dims), e.sweep),
         {"length": 120, "current": (10000.0, e.closest_distance), "current_d": 32}),
    ]
    for scale in (1.0, PROJECTOR_SCALE):
        for builder, args, kwargs in cases:
            first = figure_memo.finished(builder, args, kwargs, scale, finish, memo=memo)
            again = figure_memo.finished(builder, tuple(np.copy(a) if isinstance(a, np.ndarray) else a
                                                        for a in args), dict(kwargs), scale, finish, memo=memo)
            plain = finish(builder(*args, **kwargs), scale)
            assert again is first  # the second student gets the stored object
            assert pio.to_json(first.figure) == pio.to_json(plain.figure)
            assert (first.wide, first.bar) == (plain.wide, plain.bar)
    assert memo.stats()["hits"] == memo.stats()["misses"] == 2 * len(cases)


def test_a_kept_figure_is_its_json_and_streamlit_sends_that_json() -> None:
    """The memo keeps a figure as its JSON text; Streamlit's path (plotly.tools + plotly.io, as st.plotly_chart
    calls them) sends exactly what the built figure would have sent, and the text is all the kept figure holds."""
    e = explored()
    for fig in (figs.gram_heatmap(e.gram, e.gram_positions), bar_figure(np.arange(40.0), "bars"),
                go.Figure(go.Heatmap(z=np.arange(12.0).reshape(3, 4)[:, ::2])),  # non-contiguous
                go.Figure(go.Scatter(y=[1, 2], customdata=np.array(["▁I", "▁am"], dtype=object)))):  # tokens
        sent = pio.to_json(plotly.tools.return_figure_from_figure_or_data(fig, True), validate=False)
        kept = figure_memo.kept(Finished(fig, False, False))  # once first: plotly's writer fills its own caches
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            copies = [figure_memo.kept(Finished(fig, False, False)) for _ in range(10)]
            held = (tracemalloc.get_traced_memory()[0] - before) / len(copies)
        finally:
            tracemalloc.stop()
        assert kept.figure.spec.decode() == pio.to_json(fig, validate=False)
        assert pio.to_json(plotly.tools.return_figure_from_figure_or_data(kept.figure, True), validate=False) == sent
        assert held <= 1.1 * len(kept.figure.spec) + 2048, (held, len(kept.figure.spec))  # each kept figure
        assert kept.figure.to_dict() is not kept.figure.to_dict()  # Streamlit's writer edits the dict it gets


def test_the_byte_budget_evicts_the_least_recently_used() -> None:
    one = len(pio.to_json(bar_figure(np.arange(50.0)), validate=False))
    memo = FigureMemo(max_bytes=int(2.5 * one), max_entries=100)
    keep = lambda fig, scale: Finished(fig, False, False)  # noqa: E731 - the post-processing is not tested here
    a, b, c = (figure_memo.finished(bar_figure, (np.arange(50.0) + i,), {}, 1.0, keep, memo=memo) for i in (0, 1, 2))
    assert memo.stats()["evicted"] == 1 and memo.stats()["entries"] == 2  # a, the oldest, went
    assert figure_memo.finished(bar_figure, (np.arange(50.0) + 1,), {}, 1.0, keep, memo=memo) is b  # b: used now
    figure_memo.finished(bar_figure, (np.arange(50.0) + 3,), {}, 1.0, keep, memo=memo)  # evicts c, not b
    assert figure_memo.finished(bar_figure, (np.arange(50.0) + 1,), {}, 1.0, keep, memo=memo) is b
    assert figure_memo.finished(bar_figure, (np.arange(50.0) + 2,), {}, 1.0, keep, memo=memo) is not c
    assert memo.stats()["bytes"] <= memo.max_bytes
    # a figure bigger than the whole budget is shown, never kept
    huge = figure_memo.finished(bar_figure, (np.arange(500.0),), {}, 1.0, keep, memo=memo)
    assert isinstance(huge, Finished) and memo.stats()["bytes"] <= memo.max_bytes


def test_the_count_bound_evicts_the_least_recently_used() -> None:
    memo = FigureMemo(max_bytes=10**9, max_entries=3)
    keep = lambda fig, scale: Finished(fig, False, False)  # noqa: E731
    first = [figure_memo.finished(bar_figure, (np.array([float(i)]),), {}, 1.0, keep, memo=memo) for i in range(3)]
    figure_memo.finished(bar_figure, (np.array([0.0]),), {}, 1.0, keep, memo=memo)  # 0 is now the newest
    figure_memo.finished(bar_figure, (np.array([9.0]),), {}, 1.0, keep, memo=memo)  # evicts 1
    assert memo.stats()["entries"] == 3 and memo.stats()["evicted"] == 1
    assert figure_memo.finished(bar_figure, (np.array([0.0]),), {}, 1.0, keep, memo=memo) is first[0]
    assert figure_memo.finished(bar_figure, (np.array([1.0]),), {}, 1.0, keep, memo=memo) is not first[1]


def test_sessions_asking_at_once_build_a_figure_once_and_share_it() -> None:
    memo = FigureMemo()
    built, shown = [], []
    start = threading.Barrier(8)

    def build(fig: go.Figure, scale: float) -> Finished:
        built.append(1)
        return Finished(fig, False, False)

    def session() -> None:
        start.wait()  # all eight ask together, as a class opening one lesson step
        shown.append(figure_memo.finished(bar_figure, (np.arange(30.0),), {}, 1.0, build, memo=memo))

    threads = [threading.Thread(target=session) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1 and all(done is shown[0] for done in shown)
    assert memo.stats()["misses"] == 1 and memo.stats()["hits"] == 7


def test_a_failed_build_stores_nothing_and_the_next_session_builds() -> None:
    memo = FigureMemo()

    def broken(fig: go.Figure, scale: float) -> Finished:
        raise ValueError("mismatched shapes")

    with pytest.raises(ValueError):
        figure_memo.finished(bar_figure, (np.ones(2),), {}, 1.0, broken, memo=memo)
    done = figure_memo.finished(bar_figure, (np.ones(2),), {}, 1.0, finish, memo=memo)
    assert isinstance(done, Finished) and memo.stats()["entries"] == 1


def _page() -> None:  # runs inside AppTest: a memoised figure and the same figure shown the old way
    import numpy as np
    import streamlit as st

    from seqviz.figures import positional as figs
    from seqviz.labs import positional as lab
    from seqviz.ui.charts import show_built, show_plotly

    st.session_state.setdefault("projector", False)
    e = lab.explore(lab.Settings(d_model=32, length=40, base=10000.0, layout="interleaved", p=3, k=5,
                                 dims=(0, 1, 6), rows="average"))
    from seqviz.figures.attention import head_heatmap

    words = [f"▁w{i}" for i in range(40)]  # 40 cells of 24 px: wider than the column, the chart scrolls
    pattern = np.full((40, 40), 1 / 40)
    show_built(figs.gram_heatmap, e.gram, e.gram_positions, key="memo")
    show_plotly(figs.gram_heatmap(e.gram, e.gram_positions), key="plain")
    show_built(head_heatmap, pattern, words, words, "wide", key="wide_memo")
    show_plotly(head_heatmap(pattern, words, words, "wide"), key="wide_plain")


def test_show_built_shows_what_show_plotly_shows_and_never_changes_the_stored_figure() -> None:
    figure_memo.MEMO.clear()
    at = AppTest.from_function(_page, default_timeout=120)
    at.run()
    assert not at.exception
    stored = [value for value, _ in figure_memo.MEMO._items.values()]
    assert len(stored) == 2
    before = [spec_hash(done.figure) for done in stored]
    charts = at.get("plotly_chart")
    assert charts[0].proto.spec == charts[1].proto.spec and charts[2].proto.spec == charts[3].proto.spec
    captions = [c.value for c in at.caption]  # the scroll hint, once above each wide chart, the same for both ways
    assert len(captions) in (2, 4) and len(set(captions)) == 1 and "left end" in captions[0]
    for projector in (True, False, False):  # a projector session adds its own two figures
        at.session_state["projector"] = projector
        at.run()
        assert not at.exception
    assert [spec_hash(done.figure) for done in stored] == before
    assert figure_memo.stats() | {"bytes": 0} == {"hits": 4, "misses": 4, "unkeyed": 0, "evicted": 0, "entries": 4,
                                                   "bytes": 0}
