"""The shipped checkpoints: all five present, small, loadable, and as good as their cards say."""
import json

import pytest

from seqviz.checkpoints import MODEL_NAMES, load_checkpoint
from seqviz.cli import main
from tests.conftest import SHIPPED


def test_five_models_in_25_mib():
    for name in MODEL_NAMES:
        assert (SHIPPED / f"{name}.safetensors").is_file() and (SHIPPED / f"{name}.json").is_file(), name
    assert (SHIPPED / "tokenizer.model").is_file()
    total = sum(p.stat().st_size for p in SHIPPED.iterdir() if p.is_file())
    assert total <= 25 * 2**20


def test_cards_are_fair_and_complete():
    cards = [json.loads((SHIPPED / f"{name}.json").read_text()) for name in MODEL_NAMES]
    params = [c["n_params"] for c in cards]
    assert max(params) <= 2 * min(params)
    assert len({c["corpus"]["hash"] for c in cards}) == 1 and len({c["tokenizer"]["sha256"] for c in cards}) == 1
    assert len({c["training"]["steps_done"] for c in cards}) == 1
    for card in cards:
        wall = card["training"]["wall_time_s"]
        assert isinstance(wall, float) and card["metrics"]["test"]["overall"]["n"] == 3000


def test_i_am_eating(capsys):
    assert main(["translate", "I am eating"]) == 0
    assert capsys.readouterr().out.strip() == "je mange"


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_shipped_model_loads_and_translates(name):
    loaded = load_checkpoint(SHIPPED / f"{name}.safetensors")
    from seqviz.decode import greedy

    out = greedy(loaded.model, loaded.tokenizer.encode("the cat eats the bread") + [3])
    assert out.finished and loaded.tokenizer.decode(out.tokens)


def test_eval_reproduces_the_transformer_card(capsys):
    assert main(["eval", "--model", "transformer", "--json"]) == 0
    measured = json.loads(capsys.readouterr().out)
    card = json.loads((SHIPPED / "transformer.json").read_text())["metrics"]["test"]
    assert abs(measured["overall"]["bleu"] - card["overall"]["bleu"]) <= 0.5
    assert measured["overall"]["exact_match"] == pytest.approx(card["overall"]["exact_match"], abs=0.5)
    for got, want in zip(measured["buckets"], card["buckets"], strict=True):
        assert got["bucket"] == want["bucket"] and abs(got["bleu"] - want["bleu"]) <= 0.5


def _test_metrics(name: str) -> dict:
    return json.loads((SHIPPED / f"{name}.json").read_text())["metrics"]["test"]


def test_transformer_reaches_ninety_percent_exact_match():
    assert _test_metrics("transformer")["overall"]["exact_match"] >= 90


def test_length_experiment_fixed_context_falls_behind_attention():
    """Bahdanau et al. 2015 at toy scale: the bottleneck model loses BLEU with length, attention holds up."""
    plain = {b["bucket"]: b["bleu"] for b in _test_metrics("gru-plain")["buckets"]}
    attention = {b["bucket"]: b["bleu"] for b in _test_metrics("gru-attention")["buckets"]}
    assert plain["1-5"] > 95 and attention["1-5"] > 95  # both learned the task on short sentences
    assert plain["41+"] < plain["1-5"] - 50  # the fixed context collapses on long ones
    assert attention["41+"] > plain["41+"] + 30  # the same GRU with attention does not
