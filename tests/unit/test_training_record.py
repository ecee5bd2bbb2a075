"""`train_model(record_every=N)`: the replay record's contents, and that recording leaves training unchanged."""
import json
from pathlib import Path

import numpy as np
import pytest

from seqviz.lesson import EXAMPLES
from seqviz.training.record import load_record, record_path, record_steps
from seqviz.training.train import TrainConfig, train_model

FEW = TrainConfig(steps=4, batch_size=8, warmup=1, save_every=100)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    recorded, plain = tmp_path_factory.mktemp("recorded"), tmp_path_factory.mktemp("plain")
    train_model("transformer", recorded, cfg=FEW, corpus_size=600, record_every=2)
    train_model("transformer", plain, cfg=FEW, corpus_size=600)
    return recorded, plain


def test_record_steps():
    assert record_steps(2000, 50)[:3] == [0, 50, 100] and len(record_steps(2000, 50)) == 41
    assert record_steps(10, 4) == [0, 4, 8, 10] and record_steps(10, 0) == []


def test_recording_does_not_change_the_trained_weights(runs):
    recorded, plain = runs
    cards = [json.loads((d / "transformer.json").read_text()) for d in runs]
    assert cards[0]["weights_sha256"] == cards[1]["weights_sha256"]
    assert cards[0]["metrics"] == cards[1]["metrics"]
    assert not record_path(plain / "transformer.safetensors").exists()


def test_record_contents(runs):
    path = record_path(runs[0] / "transformer.safetensors")
    assert path.name == "transformer.record.npz"
    with np.load(path, allow_pickle=False) as z:  # every array loads without pickle
        assert all(z[k].dtype != object for k in z.files)
    r = load_record(path)
    assert r.steps.tolist() == [0, 2, 4]
    assert np.isnan(r.train_loss[0]) and np.all(np.isfinite(r.train_loss[1:]))
    assert np.all(r.valid_loss > 0) and np.all((r.valid_bleu >= 0) & (r.valid_bleu <= 100))
    assert [e.sentence for e in r.examples] == [e.sentence for e in EXAMPLES]
    for e in r.examples:
        n_src, n_tgt = len(e.src_tokens), len(e.tgt_tokens)
        assert e.src_tokens[-1] == "</s>" and e.tgt_tokens[0] == "<s>"
        assert e.encoder.shape == (3, 3, 4, n_src, n_src) and e.cross.shape == (3, 3, 4, n_tgt, n_src)
        np.testing.assert_allclose(e.cross.sum(-1), 1, atol=n_src / 255)  # uint8 rounding, ≤ 1/510 per cell
        assert len(e.translations) == 3 and all(isinstance(t, str) for t in e.translations)
    assert r.meta["record_every"] == 2 and r.meta["metrics"]["test"]["overall"]["n"] == 30


def test_record_rejects_rnn_and_garbage(tmp_path):
    with pytest.raises(ValueError, match="Transformer"):
        train_model("gru-plain", tmp_path, cfg=FEW, corpus_size=600, record_every=2)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a training record"):
        load_record(bad)


SHIPPED = Path(__file__).resolve().parents[2] / "checkpoints"


@pytest.mark.skipif(not (SHIPPED / "transformer.record.npz").is_file(), reason="no shipped training record")
def test_shipped_record():
    path = SHIPPED / "transformer.record.npz"
    assert path.stat().st_size <= 3_000_000
    r = load_record(path)
    card = json.loads((SHIPPED / "transformer.json").read_text())
    assert r.steps[0] == 0 and r.steps[-1] == card["training"]["steps"] and 30 <= len(r.steps) <= 60
    assert r.meta["training"]["seed"] == card["training"]["seed"]
    for metric in ("bleu", "exact_match"):  # the recorded retrain lands within half a point of the shipped card
        assert abs(r.meta["metrics"]["test"]["overall"][metric] - card["metrics"]["test"]["overall"][metric]) <= 0.5
    seed = r.examples[0]
    assert seed.sentence == "I am eating" and seed.translations[-1] == seed.reference == "je mange"
    assert seed.translations[0] != seed.reference and r.valid_loss[-1] < r.valid_loss[0] / 10
