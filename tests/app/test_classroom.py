"""What every page shares: the example picker, the unknown-word notice, the projector mode and the lesson bar."""
import html
import json

import pytest
from streamlit.testing.v1 import AppTest

from seqviz.lesson import EXAMPLES, LESSON
from seqviz.ui.share import share_caption, unknown_hide_notice
from tests.conftest import ROOT

APP = str(ROOT / "app.py")


def run(**params):
    at = AppTest.from_file(APP, default_timeout=300)
    for key, value in params.items():
        at.query_params[key] = str(value)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


def test_example_picker_types_the_sentence_and_follows_the_user():
    at = run()
    picker = at.selectbox(key="home_sentence_example")
    label = next(option for option in picker.options if option.startswith(EXAMPLES[2].label))
    picker.set_value(label).run()
    assert not at.exception
    assert at.text_input(key="home_sentence").value == EXAMPLES[2].sentence
    assert at.session_state["sentence"] == EXAMPLES[2].sentence and at.query_params["sentence"] == EXAMPLES[2].sentence
    assert at.selectbox(key="home_sentence_example").value is None  # the box shows the sentence, not the picker
    assert len(picker.options) == len(EXAMPLES)


def test_unknown_words_are_marked_and_never_block():
    at = run(sentence="I am eating the zebra's xylophone")
    notice = captions(at)
    assert "Not in the training corpus: zebra's, xylophone" in notice and "a guess" in notice
    assert any("je mange" in m.value or "**" in m.value for m in at.markdown)  # the translation is still shown
    at = run(sentence="I am eating")
    assert "Not in the training corpus" not in captions(at)


def test_projector_mode_is_kept_in_the_url():
    at = run(projector=1)
    assert at.toggle(key="projector").value is True and at.query_params["projector"] == "1"
    at.toggle(key="projector").set_value(False).run()
    assert "projector" not in at.query_params


@pytest.mark.parametrize("number", [1, 5, 10])
def test_lesson_bar_links_back_and_next(number):
    step = LESSON[number - 1]
    at = run(step=number)
    bar = "\n".join(m.value for m in at.markdown)
    assert f"Step {number} of 10" in bar
    if number > 1:
        assert html.escape(LESSON[number - 2].link(number - 1)) in bar
    if number < 10:
        assert html.escape(LESSON[number].link(number + 1)) in bar
    assert 'target="_self"' in bar  # the lesson walks forward in one tab
    assert step.title.split(":")[0] in bar


def test_a_bad_step_is_a_one_line_notice():
    at = run(step="eleven")
    assert "is not a lesson step" in captions(at)


def test_projector_scale_raises_every_font_in_a_figure():
    from seqviz.figures import projector
    from seqviz.figures.attention import head_heatmap

    fig = head_heatmap([[0.5, 0.5], [0.2, 0.8]], ["a", "b"], ["c", "d"], "t")
    big = json.loads(projector.scaled(fig, 1.5).to_json())
    small = json.loads(fig.to_json())
    assert big["layout"]["font"]["size"] == 1.5 * small["layout"]["font"]["size"]
    assert big["layout"]["coloraxis"]["colorscale"] != small["layout"]["coloraxis"]["colorscale"]


def open_page(page: str, **params):
    at = AppTest.from_file(APP, default_timeout=300)
    for key, value in params.items():
        at.query_params[key] = str(value)
    at.session_state[f"share_open_{page}"] = True  # the link is drawn only in the open "Share this view" box
    at.switch_page(f"seqviz/ui/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_trimmed_link_hides_the_ticked_controls_but_never_the_sentence():
    at = open_page("rnn", hide="model-picker,sentence,bogus", model="gru-plain")
    styles = [m.value for m in at.markdown if m.value.startswith("<style>")]
    assert styles == ["<style>.st-key-rnn_model {display: none !important;}</style>"]
    assert at.selectbox(key="rnn_model").value == "gru-plain"  # hidden, still set by the link
    assert unknown_hide_notice(["sentence", "bogus"], ["model-picker", "view-switcher"]) in captions(at)
    share = at.sidebar.code[0].value
    assert "/rnn?" in share and "hide=model-picker" in share and "model=gru-plain" in share


def test_the_link_is_drawn_only_in_the_open_share_box():
    """A closed box draws no st.code, so no browser fetches Streamlit's syntax highlighter for it; opening the
    box (a rerun) draws the link, and the ticks made while it was closed are in it."""
    at = AppTest.from_file(APP, default_timeout=300)
    at.switch_page("seqviz/ui/rnn.py").run()
    assert not at.sidebar.code
    at.sidebar.multiselect(key="share_hide_rnn").set_value(["view switcher"]).run()
    assert not at.sidebar.code
    at.session_state["share_open_rnn"] = True
    at.run()
    assert not at.exception
    assert "hide=view-switcher" in at.sidebar.code[0].value


def _share_caption(at: AppTest) -> list[str]:
    return [c.value for c in at.sidebar.caption if c.value.startswith("Copy the link")]


def test_the_share_caption_names_what_the_link_hides_and_promises_nothing_when_nothing_is():
    at = open_page("rnn")
    assert _share_caption(at) == [share_caption([])]
    assert "every control shown" in share_caption([]) and "hidden" not in share_caption([])
    at.sidebar.multiselect(key="share_hide_rnn").set_value(["view switcher", "model picker"]).run()
    assert _share_caption(at) == [share_caption(["view switcher", "model picker"])]
    assert "with the view switcher and the model picker hidden for students." in _share_caption(at)[0]


def test_the_shared_link_leaves_projector_mode_to_each_student_and_says_so():
    at = open_page("rnn", projector=1, model="gru-plain")
    link = at.sidebar.code[0].value
    assert "model=gru-plain" in link and "projector" not in link
    assert _share_caption(at) == [share_caption([], projector=True)]
    assert "Projector mode is left out" in _share_caption(at)[0]
    at = open_page("rnn", model="gru-plain")
    assert "Projector mode" not in _share_caption(at)[0]


def test_the_link_comes_first_in_the_open_share_box():
    """At 1024x768 with projector mode on, a link below the picker was below the fold of the sidebar."""
    at = open_page("rnn")
    box = next(e for e in at.sidebar.expander if e.label == "Share this view")
    kinds = [type(child).__name__ for child in box]
    assert kinds.index("Code") < kinds.index("Multiselect"), kinds


def test_home_has_no_empty_hide_picker_and_an_unknown_hide_name_is_reported_once():
    at = open_page("home")
    assert not at.sidebar.multiselect and "hide=" not in at.sidebar.code[0].value
    at = open_page("rnn", hide="foo,view-switcher")
    assert [c.value for c in at.caption if "names no control" in c.value] == [
        unknown_hide_notice(["foo"], ["model-picker", "view-switcher"])]
    assert at.sidebar.multiselect(key="share_hide_rnn").value == ["view switcher"]


def test_share_control_builds_the_link_from_the_ticks():
    at = open_page("rnn")
    at.sidebar.multiselect(key="share_hide_rnn").set_value(["view switcher"]).run()
    assert "hide=view-switcher" in at.sidebar.code[0].value and "sentence=" in at.sidebar.code[0].value


def test_one_bad_input_notice_under_every_sentence_box():
    """The same notice (inputs.sentence_notices) on every page that has a sentence box: HTML, emoji and the
    words outside the corpus, shown as text."""
    from seqviz.pages import PAGES

    hostile = "<script>alert(1)</script> the zebra 🙂"
    for p in PAGES:
        if not p.reads_sentence:
            continue
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.query_params["sentence"] = hostile
        if p.name == "gradients":
            at.query_params["section"] = "trained"
        at.switch_page(p.file).run()
        assert not at.exception, (p.name, [e.value for e in at.exception])
        notice = captions(at)
        assert "looks like HTML" in notice and "emoji or symbols" in notice and "zebra" in notice, p.name


def test_an_unknown_hide_name_is_shown_as_typed_with_the_names_the_page_knows():
    """Not in a code span: there the markdown escapes showed as backslashes ("model\\-pickr")."""
    notice = unknown_hide_notice(["model-pickr"], ["model-picker", "view-switcher"])
    assert "`" not in notice and "model\\-pickr" in notice  # escaped for markdown, so shown as typed
    assert notice.endswith("Names this page knows: model\\-picker, view\\-switcher.")
    html_ = unknown_hide_notice(["<b>x</b>"], [])
    assert "\\<b\\>x\\</b\\>" in html_ and "this page has no controls to hide" in html_
    long = unknown_hide_notice(["x" * 100], ["a"])
    assert "x" * 60 + "…" in long and "x" * 61 not in long
