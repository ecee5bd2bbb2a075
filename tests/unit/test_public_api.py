"""The README's public-API table lists exactly the hook names each shipped model has."""
import itertools
import json
import re

import pytest

from seqviz.checkpoints import MODEL_NAMES
from seqviz.models import build_model, config_from_card
from seqviz.models.hooks import hook_names
from tests.conftest import ROOT, SHIPPED


def expand(pattern: str, n_layers: int) -> set[str]:
    """Shell-style {a,b} alternatives, and {i} for every layer."""
    parts = re.split(r"(\{[^}]*\})", pattern)
    options = []
    for part in parts:
        if part == "{i}":
            options.append([str(i) for i in range(n_layers)])
        elif part.startswith("{"):
            options.append(part[1:-1].split(","))
        else:
            options.append([part])
    return {"".join(choice) for choice in itertools.product(*options)}


def readme_table() -> list[tuple[set[str], str]]:
    """(name patterns, models column) of each row of the table under 'The trace is a public API'."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### The trace is a public API"):]
    rows = [line for line in section.split("\n\n")[2].splitlines() if line.startswith("| `")]
    assert len(rows) >= 10
    return [(set(re.findall(r"`([^`]+)`", row.split("|")[1])), row.split("|")[3].strip()) for row in rows]


def tags(card: dict) -> set[str]:
    if card["kind"] == "transformer":
        return {"transformer"}
    config = card["config"]
    found = {"rnn", config["cell"]}
    return found | ({"rnn with attention"} if config["attention"] else set())


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_readme_lists_exactly_the_hook_names(name):
    card = json.loads((SHIPPED / f"{name}.json").read_text())
    model = build_model(config_from_card(card["kind"], card["config"]))
    n_layers = card["config"].get("n_layers", 0)
    listed = set()
    for patterns, models in readme_table():
        if {m.strip() for m in models.split(",")} & tags(card):
            for pattern in patterns:
                listed |= expand(pattern, n_layers)
    actual = set(hook_names(model))
    assert listed == actual, {"missing from README": sorted(actual - listed), "not hooked": sorted(listed - actual)}


def test_expand():
    assert expand("{encoder,decoder}.layers.{i}.hook_{q,k}", 2) == {
        f"{s}.layers.{i}.hook_{x}" for s in ("encoder", "decoder") for i in "01" for x in "qk"}


def test_encoder_and_decoder_layers_have_the_same_residual_hooks():
    model = build_model("transformer", vocab_size=50)
    names = set(hook_names(model))
    for leaf in ("hook_resid_mid", "hook_resid_post", "ffn.hook_hidden"):
        for stack in ("encoder", "decoder"):
            assert f"{stack}.layers.0.{leaf}" in names
