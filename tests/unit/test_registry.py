"""The page registry (seqviz/pages.py): well-formed pages and controls, one URL codec that round-trips and
clamps with a message, lesson presets that name only declared controls in range, and docs that list the pages
the registry declares."""
import importlib
import re

import pytest

from seqviz.lesson import LESSON, Step
from seqviz.pages import APP_CONTROLS, PAGES, RESERVED_URLS, Control, page, sections
from seqviz.url_codec import decode, encode
from tests.conftest import ROOT

ALL_CONTROLS = [(p.name, c) for p in PAGES for c in p.controls]


def preset_problems(step: Step) -> list[str]:
    """What is wrong with a lesson step's preset against the registry: unknown page, undeclared control, or a
    value the control's codec would have to change (out of range, not a choice, unreadable)."""
    try:
        p = page(step.page)
    except KeyError:
        return [f"page {step.page!r} is not in the registry"]
    declared = {c.url: c for c in (*p.controls, *APP_CONTROLS)}
    problems = []
    for url, value in step.params.items():
        if url in RESERVED_URLS:
            continue
        if url not in declared:
            problems.append(f"{step.page} declares no control ?{url}=")
            continue
        raw = encode(declared[url], value) if not isinstance(value, str) else value
        _, message = decode(declared[url], raw)
        if message:
            problems.append(message)
    return problems


@pytest.mark.parametrize("number", range(1, len(LESSON) + 1))
def test_lesson_presets_name_declared_controls_in_range(number):
    assert preset_problems(LESSON[number - 1]) == [], f"lesson step {number}"


def test_the_preset_check_catches_a_bad_preset():
    bad = Step("x", "x", "x", "attention", {"head": 99, "colour": "red", "view": "Nope"})
    problems = " ".join(preset_problems(bad))
    assert "outside 0–63" in problems and "no control ?colour=" in problems and "view=Nope" in problems
    assert preset_problems(Step("x", "x", "x", "nowhere", {})) == ["page 'nowhere' is not in the registry"]


def test_pages_are_unique_and_their_modules_exist():
    assert len({p.name for p in PAGES}) == len({p.url_path for p in PAGES}) == len(PAGES)
    assert [p.url_path for p in PAGES].count("") == 1  # one home page
    for p in PAGES:
        assert (ROOT / p.file).is_file(), p.file
        assert p.icon.startswith(":material/"), p.name
        assert page(p.url_path) is p and page(p.name) is p
    assert [p for ps in sections().values() for p in ps] == list(PAGES)


@pytest.mark.parametrize("p", PAGES, ids=[p.name for p in PAGES])
def test_controls_are_well_formed(p):
    urls = [c.url for c in p.controls]
    assert len(urls) == len(set(urls)), "a URL name declared twice"
    assert not set(urls) & set(RESERVED_URLS) and not set(urls) & {c.url for c in APP_CONTROLS}
    assert len({c.key for c in p.controls}) == len(p.controls)
    for c in p.controls:
        if c.kind == "choice" and c.choices and c.default is not None:
            assert c.default in c.choices, c.url
        if c.kind == "number" and c.default is not None:
            assert c.low <= c.default <= c.high, c.url
        if c.kind == "list" and c.choices and c.default is not None:
            assert set(c.default) <= set(c.choices), c.url
        assert c.hide is None or c.key != "sentence", "the sentence box is never hidden"


@pytest.mark.parametrize(("name", "c"), ALL_CONTROLS, ids=[f"{n}-{c.url}" for n, c in ALL_CONTROLS])
def test_every_default_round_trips_through_the_codec(name, c):
    if c.default is None:
        assert encode(c, None) is None
        return
    value, message = decode(c, encode(c, c.default))
    assert message is None
    assert (list(value) == list(c.default)) if c.kind == "list" else value == c.default


def test_numbers_clamp_snap_and_say_so():
    rho = page("gradients").control("rho")
    assert decode(rho, "0.9") == (0.9, None)
    value, message = decode(rho, "7")
    assert value == 2.0 and message == "`rho=7` in the link is outside 0.1–2; using 2."
    value, message = decode(rho, "nan")
    assert value == rho.default and "not a number" in message
    d = page("positional").control("d")
    assert decode(d, "7")[0] == 8 and "off the 2 steps" in decode(d, "7")[1]  # sin and cos come in pairs
    assert decode(d, "5000")[0] == 1024
    layer = page("attention").control("layer")
    assert decode(layer, "2") == (2, None) and isinstance(decode(layer, "2")[0], int)
    assert decode(layer, "1.5") == (2, "`layer=1.5` in the link is not a whole number; using 2.")


def test_choices_lists_flags_and_text():
    base = page("positional").control("base")
    assert decode(base, "10000.0") == (10000, None)
    assert decode(base, "12000")[0] == 10000  # the nearest on the log-scale slider
    view = page("attention").control("view")
    assert decode(view, "<script>")[0] == view.default and "not one of" in decode(view, "<script>")[1]
    cells = page("gradients").control("cell")
    assert decode(cells, "gru,bogus,gru,lstm") == (["gru", "lstm"], "`cell` in the link: bogus left out; choose "
                                                   "from " + ", ".join(cells.choices) + ".")
    assert decode(cells, "bogus")[0] == list(cells.default)  # nothing usable: the default, with the message
    dims = page("positional").control("dims")
    assert decode(dims, ",".join(map(str, range(20))))[0] == list(range(dims.max_items))
    flag = page("gradients").control("predict")
    assert decode(flag, "1") == (True, None) and decode(flag, "off") == (False, None)
    assert decode(flag, "maybe")[1] == "`predict=maybe` in the link is not 1 or 0; using 0."
    sentence = page("rnn").control("sentence")
    assert decode(sentence, "<b>x</b>") == ("<b>x</b>", None)  # text as typed: pages show it as text
    assert len(decode(sentence, "a" * 5000)[0]) == 2000
    with pytest.raises(ValueError):
        Control("k", "k", "slider", 0, "bad kind")


def test_commands_and_benchmarks_are_found_through_the_registry():
    for p in PAGES:
        if p.command:
            assert callable(importlib.import_module(p.command).register), p.command
        if p.bench:
            assert callable(importlib.import_module(p.bench).run), p.bench


def test_architecture_doc_lists_the_registry_pages():
    """docs/architecture.md's page table is the registry's, in the same order."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    table = re.findall(r"^\| `([a-z_]+)` \| (.+?) \| (.+?) \| `/([a-z_]*)` \|", text, flags=re.M)
    assert [(n, t, s, u) for n, t, s, u in table] == [(p.name, p.title, p.section, p.url_path) for p in PAGES]
