"""AppTest of the training lab (seqviz/ui/training.py): the live part trains in its background thread and the
page shows the curves, every head beside the ideal pattern and the probe's output; the replay part reads a record."""
from __future__ import annotations

import json
import time

import pytest
from streamlit.testing.v1 import AppTest

from seqviz.figures.style import decode_array
from seqviz.training.record import record_path
from seqviz.training.train import TrainConfig, train_model
from tests.conftest import ROOT

PAGE = str(ROOT / "seqviz" / "ui" / "training.py")


def page(**state) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=300)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception[0].message
    return at


def charts(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def button(at, key):
    return next(b for b in at.button if b.key == key)


def wait_for(condition, limit: float = 300.0):
    deadline = time.monotonic() + limit  # a guard against a hung thread, not a speed assertion
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_live_part_trains_and_draws():
    at = page(train_steps=50, train_n=5, train_d_model=16)
    assert [c["layout"]["title"]["text"][:20] for c in charts(at)][:1] == ["Loss and accuracy"]
    assert button(at, "train_pause").disabled and not button(at, "train_start").disabled
    button(at, "train_start").click().run()
    run = at.session_state["train_run"]
    run.join(300)
    assert run.status == "done"
    at.run()
    assert not at.exception
    specs = charts(at)
    titles = [s["layout"]["title"]["text"].replace("<br>", " ") for s in specs]
    curve = specs[0]["data"]
    assert len(decode_array(curve[0]["y"])) == 50  # one loss per step
    heads = next(s for s, t in zip(specs, titles, strict=True) if "every head beside" in t)
    assert [a["text"] for a in heads["layout"]["annotations"]] == ["ideal", "layer 0 head 0", "layer 0 head 1"]
    assert any("across training" in t for t in titles)  # the animation, once the run has finished
    anim = next(s for s, t in zip(specs, titles, strict=True) if "across training" in t)
    assert len(anim["frames"]) == len(run.trainer.snapshots)
    assert any("cross-attention head" in m.value.lower() or "no head" in m.value.lower() for m in at.markdown)


def test_step_once_and_reset():
    at = page(train_steps=50, train_n=5, train_d_model=16, train_model="gru-attention")
    button(at, "train_step").click().run()
    assert at.session_state["train_run"].trainer.step == 1
    first = at.session_state["train_run"]
    button(at, "train_reset").click().run()
    assert at.session_state["train_run"] is not first and at.session_state["train_run"].trainer.step == 0


def test_plain_gru_says_it_has_no_attention():
    at = page(train_model="gru-plain", train_steps=50, train_n=5, train_d_model=16)
    assert any("fixed context" in m.value for m in at.markdown)


def test_comparison_sentences_come_from_the_session_runs():
    from seqviz.labs.training_claims import RunSummary

    history = [RunSummary("gru-plain", True, "reverse", 8, 400, None, 0.6, 0.1),
               RunSummary("transformer", True, "reverse", 8, 400, 182, 1.0, 0.1),
               RunSummary("transformer", False, "reverse", 8, 400, None, 0.3, 0.1)]
    at = page(train_history=history)
    text = " ".join(s.value for s in at.success)
    assert "the GRU without attention stalls at 60%" in text and "cannot learn reverse" in text


@pytest.fixture(scope="module")
def record_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("record")
    train_model("transformer", out, cfg=TrainConfig(steps=4, batch_size=8, warmup=1, save_every=100),
                corpus_size=600, record_every=2)
    assert record_path(out / "transformer.safetensors").is_file()
    return out


def test_replay_part(record_dir, monkeypatch):
    monkeypatch.setenv("SEQVIZ_CHECKPOINTS", str(record_dir))
    from seqviz.ui.training_replay import _record

    _record.clear()
    at = page(train_part="replay")
    assert at.select_slider[0].value == 4  # the last recorded step
    titles = [c["layout"]["title"]["text"].replace("<br>", " ") for c in charts(at)]
    assert any("loss and validation BLEU" in t for t in titles) and any("across training" in t for t in titles)
    assert any(m.value.startswith("At step 0 the model writes") for m in at.markdown)
    at.select_slider[0].set_value(0).run()
    assert not at.exception and any("**Step 0:**" in m.value for m in at.markdown)
    _record.clear()


def test_upload_part_shows_a_finished_run_and_translates(tmp_path):
    from seqviz.data import generate_corpus
    from seqviz.labs import training_upload as up
    from seqviz.labs.training_runner import LiveRun

    pairs = [p for p in generate_corpus(400, seed=0) if len(p[0].split()) <= 10][:200]
    folder = up.SessionFolder()
    trainer = up.PairsTrainer(up.check_upload("".join(f"{a}\t{b}\n" for a, b in pairs).encode()), folder.path,
                              up.UploadConfig(steps=4, report_every=2, vocab_size=300))
    run = LiveRun(trainer)
    run.start()
    run.join(300)
    at = page(train_part="upload", train_upload_run=run, train_upload_folder=folder)
    assert any("Validation loss at step 4" in m.value for m in at.markdown)
    assert at.session_state["train_upload_checkpoint"].endswith("your-pairs.safetensors")
    at.text_input(key="train_upload_sentence").input("I am eating").run()
    assert not at.exception and any(m.value.startswith("→ “") for m in at.markdown)
    folder.remove()
