"""A few-step training run of each kind into a temporary folder: it loads, translates and evaluates."""
import json

import pytest
import torch

from seqviz.checkpoints import MODEL_NAMES, load_checkpoint, n_params
from seqviz.cli import main
from seqviz.data import generate_corpus, write_tsv
from seqviz.decode import greedy
from seqviz.models import build_model
from seqviz.training.train import TrainConfig, train_model

FEW = TrainConfig(steps=3, batch_size=8, warmup=1, save_every=2)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("trained")
    for name in MODEL_NAMES:
        train_model(name, out, cfg=FEW, corpus_size=1200)
    return out


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_each_kind_trains_loads_and_translates(trained, name):
    loaded = load_checkpoint(trained / f"{name}.safetensors")
    card = loaded.card
    wall = card["training"]["wall_time_s"]
    assert card["training"]["steps_done"] == 3 and isinstance(wall, float)
    assert card["corpus"]["size"] == {"train": 1080, "valid": 60, "test": 60} and len(card["corpus"]["hash"]) == 64
    assert card["tokenizer"]["file"] == "tokenizer.model" and card["n_params"] > 100_000
    assert card["weights_dtype"] == "float16"
    test = card["metrics"]["test"]
    buckets = test["buckets"]
    assert test["overall"]["n"] == 60 == sum(b["n"] for b in buckets) and buckets[0]["bucket"].startswith("1-")
    assert any(b["merged"] for b in buckets)  # 60 sentences cannot fill seven buckets of 20
    src = loaded.tokenizer.encode("I am eating") + [3]
    out = greedy(loaded.model, src)
    assert len(out.steps) >= 1 and all(0 < p <= 1 for p in out.probs)


def test_eval_reproduces_the_card(trained, capsys):
    assert main(["eval", "--model", "gru-plain", "--checkpoints", str(trained), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    card = json.loads((trained / "gru-plain.json").read_text())["metrics"]["test"]
    assert printed["overall"] == card["overall"] and printed["buckets"] == card["buckets"]
    assert set(printed) == {"model", "overall", "buckets"}


def test_app_lists_any_checkpoint_dir(trained, capsys, tmp_path):
    assert main(["translate", "--checkpoints", str(trained), "--checkpoint", "lstm-attention", "I am eating"]) == 0
    assert main(["report", "--checkpoints", str(trained), "--png", str(tmp_path / "len.png")]) == 0
    assert (tmp_path / "len.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = capsys.readouterr().out
    assert "| words | n | transformer | gru-attention | gru-plain | lstm-attention | rnn-attention |" in table


def test_preset_parameter_counts_are_within_two_times_and_match_the_comments():
    counts = {name: n_params(build_model(name, vocab_size=1400)) for name in MODEL_NAMES}
    assert max(counts.values()) <= 2 * min(counts.values())
    assert round(counts["transformer"] / 1e6, 2) == 1.17 and round(counts["lstm-attention"] / 1e6, 2) == 1.79


def test_interrupt_keeps_last_good_checkpoint(tmp_path, monkeypatch):
    import seqviz.training.train as train

    real, calls = train.collate, {"n": 0}

    def flaky(pairs, idx):
        calls["n"] += 1
        if calls["n"] == 4:  # after the step-2 save
            raise KeyboardInterrupt
        return real(pairs, idx)

    monkeypatch.setattr(train, "collate", flaky)
    with pytest.raises(KeyboardInterrupt):
        train_model("gru-plain", tmp_path, cfg=TrainConfig(steps=6, batch_size=4, warmup=1, save_every=2),
                    corpus_size=600)
    loaded = load_checkpoint(tmp_path / "gru-plain.safetensors")
    assert loaded.card["training"]["steps_done"] == 2
    assert not list(tmp_path.glob("*.tmp"))


def test_tsv_corpus_with_malformed_lines(tmp_path, capsys):
    pairs = generate_corpus(400, seed=3)
    path = tmp_path / "mine.tsv"
    write_tsv(path, pairs)
    lines = path.read_text().splitlines()
    lines.insert(5, "a line without a tab")
    lines.insert(9, "\tonly french")
    path.write_text("\n".join(lines) + "\n")
    train_model("transformer", tmp_path / "out", data=str(path), cfg=TrainConfig(steps=1, batch_size=4, warmup=1),
                evaluate_on_test=False)
    err = capsys.readouterr().err
    assert "skipped 2 malformed line(s): 6, 10" in err
    card = json.loads((tmp_path / "out" / "transformer.json").read_text())
    assert card["corpus"]["source"] == str(path) and card["corpus"]["size"]["train"] == 360


def test_transformer_embeddings_stay_tied_after_training_and_loading(trained):
    """One matrix embeds tokens and projects to the vocabulary (as in the paper), through save and load."""
    model = load_checkpoint(trained / "transformer.safetensors").model
    assert model.config.tie_embeddings
    assert model.unembed.weight is model.embedding.weight


@pytest.mark.parametrize("native", [True, False], ids=["native-bf16", "no-bf16"])
def test_autocast_branch_is_forced_either_way(tmp_path, monkeypatch, native):
    """The bf16 path depends on the CPU; force each branch so both run on every machine."""
    import seqviz.training.train as train

    monkeypatch.setattr(train, "native_bf16", lambda: native)
    cfg = TrainConfig(steps=2, batch_size=4, warmup=1, save_every=10)
    path = train_model("gru-plain", tmp_path, cfg=cfg, corpus_size=300, evaluate_on_test=False)
    card = json.loads(path.with_suffix(".json").read_text())
    assert card["training"]["autocast"] == ("bfloat16" if native else None)
    loaded = load_checkpoint(path)
    assert all(torch.isfinite(p).all() for p in loaded.model.parameters())


def test_autocast_off_in_config_wins_over_native_bf16(tmp_path, monkeypatch):
    import seqviz.training.train as train

    monkeypatch.setattr(train, "native_bf16", lambda: True)
    cfg = TrainConfig(steps=1, batch_size=4, warmup=1, save_every=10, bf16=False)
    path = train_model("gru-plain", tmp_path, cfg=cfg, corpus_size=300, evaluate_on_test=False)
    assert json.loads(path.with_suffix(".json").read_text())["training"]["autocast"] is None
