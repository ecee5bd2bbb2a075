"""Share links to views a teacher reported lost: the positional page's open tabs (tracked tab bars, whose session
value is the open tab's label, not a widget test_share_links.py can set) and the training replay's step and
layer, whose allowed values come from the recorded run. Each round-trips through "Share this view" into a fresh
session, and a link's bad values are clamped with the registry's message."""
import pytest

from seqviz.labs.training_replay import sharpest_layer, shipped_record
from tests.app.test_share_links import open_page, share_params
from tests.conftest import shipped_available

pytestmark = pytest.mark.skipif(not shipped_available(), reason="the links open the shipped models")
FORMULA, MODEL = "pos_formula_tab", "pos_model_tab"  # the tab bars' keys


def open_tab(at, bar: str, text: str):
    """As a click does: a tracked bar's session value is the open tab's label (AppTest has no click for tabs)."""
    at.session_state[bar] = next(tab.label for tab in at.tabs if text in tab.label)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart_keys(at) -> set[str]:
    return {chart.proto.id.rsplit("-", 1)[-1] for chart in at.get("plotly_chart")}


def infos(at) -> str:
    return " ".join(i.value for i in at.info)


@pytest.mark.parametrize(("formula", "model"), [("Waves", "Order without PE"), ("Relative position", "What enters")])
def test_open_tabs_round_trip_through_the_share_link(formula, model):
    cold = chart_keys(open_page("positional", {}))
    at = open_tab(open_tab(open_page("positional", {}), FORMULA, formula), MODEL, model)
    built = chart_keys(at)
    assert built != cold  # another tab's charts: the check below can tell a lost tab
    link = share_params(at)
    assert "tab" in link and ("model_tab" in link) == (model == "Order without PE")  # a first tab is left out
    fresh = open_page("positional", link)
    assert fresh.session_state[FORMULA] == at.session_state[FORMULA]
    assert fresh.session_state[MODEL] == at.session_state[MODEL]
    assert chart_keys(fresh) == built  # the open tabs' charts, and no other tab's


@pytest.mark.parametrize("raw", ["nonsense", "<b>waves</b>", "WAVES"])
def test_unknown_tab_names_open_the_first_tab_with_a_message(raw):
    at = open_page("positional", {"tab": raw, "model_tab": raw})
    assert f"`tab={raw}` in the link is not one of" in infos(at)
    assert f"`model_tab={raw}` in the link is not one of" in infos(at)
    assert at.session_state[FORMULA] == at.tabs[0].label
    assert chart_keys(at) == chart_keys(open_page("positional", {}))
    assert "tab" not in share_params(at) and "model_tab" not in share_params(at)


def test_replay_link_values_are_checked_against_the_record():
    record = shipped_record()
    steps, example = [int(s) for s in record.steps], record.examples[0]
    layers = example.cross.shape[1]
    at = open_page("training", {"part": "replay", "replay_step": 10 * steps[-1], "replay_layer": -3})
    assert f"using the nearest, {steps[-1]}." in infos(at) and "using the nearest, 0." in infos(at)
    assert at.select_slider(key="train_replay_step").value == steps[-1]
    assert at.radio(key="train_replay_layer").value == 0
    between = (steps[0] + steps[1]) / 2 + 1  # off the recorded steps: the nearest recorded one
    at = open_page("training", {"part": "replay", "replay_step": between, "replay_layer": "<script>x</script>"})
    assert at.select_slider(key="train_replay_step").value == steps[1]
    assert "`replay_layer=<script>x</script>` in the link is not one of" in infos(at)
    assert at.radio(key="train_replay_layer").value == sharpest_layer(example.cross) < layers
    link = share_params(at)  # the page's own default layer is left out; the chosen step stays
    assert "replay_layer" not in link and link["replay_step"] == str(steps[1])


def test_replay_defaults_stay_out_of_the_link():
    at = open_page("training", {"part": "replay"})
    record = shipped_record()
    assert at.select_slider(key="train_replay_step").value == int(record.steps[-1])
    assert at.radio(key="train_replay_layer").value == sharpest_layer(record.examples[0].cross)
    assert not infos(at)
    link = share_params(at)
    assert "replay_step" not in link and "replay_layer" not in link and link["part"] == "replay"
