"""Checkpoint loading (safetensors only, one-line errors) and the CLI on seeded tiny checkpoints."""
import json
import re

import numpy as np
import pytest

from seqviz.checkpoints import CheckpointError, find_checkpoints, load_checkpoint, resolve
from seqviz.cli import main


def test_roundtrip_keeps_weights_and_outputs(tiny_dir):
    a = load_checkpoint(tiny_dir / "transformer.safetensors")
    b = load_checkpoint(tiny_dir / "transformer.safetensors")
    for (ka, va), (kb, vb) in zip(a.model.state_dict().items(), b.model.state_dict().items(), strict=True):
        assert ka == kb and (va == vb).all()
    assert a.card["kind"] == "transformer" and a.card["n_params"] > 0
    assert [p.stem for p in find_checkpoints(tiny_dir)] == ["transformer", "gru-plain", "lstm-attention"]


@pytest.mark.parametrize("damage,message", [
    (lambda d: (d / "transformer.safetensors").unlink(), "no such checkpoint"),
    (lambda d: (d / "transformer.safetensors").write_bytes((d / "transformer.safetensors").read_bytes()[:500]),
     "truncated or corrupt"),
    (lambda d: (d / "transformer.safetensors").write_bytes(b"\x80\x04garbage pickle"), "truncated or corrupt"),
    (lambda d: (d / "transformer.json").write_text("{not json"), "not a valid checkpoint card"),
    (lambda d: (d / "transformer.json").write_text(json.dumps(
        {**json.loads((d / "transformer.json").read_text()),
         "config": {**json.loads((d / "transformer.json").read_text())["config"], "d_ff": 99}})),
     "does not match its weights"),
    (lambda d: (d / "tokenizer.model").unlink(), "tokenizer this checkpoint needs is missing"),
    (lambda d: (d / "tokenizer.model").write_bytes(b"junk"), "not the one"),
])
def test_damaged_checkpoint_gives_one_line_error(tiny_copy, damage, message):
    damage(tiny_copy)
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(tiny_copy / "transformer.safetensors")
    text = str(e.value)
    assert message in text and "\n" not in text
    assert "transformer" in text and ("seqviz train" in text or "make checkpoints" in text)


def test_resolve_names_and_paths(tmp_path):
    assert resolve("gru-plain", tmp_path) == tmp_path / "gru-plain.safetensors"
    assert resolve(str(tmp_path / "x.safetensors")) == tmp_path / "x.safetensors"


def test_cli_translate_and_trace_list(tiny_dir, capsys):
    assert main(["translate", "--checkpoint", str(tiny_dir / "transformer.safetensors"), "I am eating"]) == 0
    assert capsys.readouterr().out.endswith("\n")  # an untrained model may translate to an empty string
    assert main(["trace", "--checkpoint", str(tiny_dir / "transformer.safetensors"), "I am eating", "--list"]) == 0
    out = capsys.readouterr().out
    for name in ("encoder.hook_embed", "encoder.hook_pos", "encoder.layers.0.self_attn.hook_pattern",
                 "decoder.layers.1.cross_attn.hook_pattern", "decoder.layers.0.self_attn.hook_scores_grad"):
        assert name in out
    n_src = len(load_checkpoint(tiny_dir / "transformer.safetensors").tokenizer.encode("I am eating")) + 1
    assert re.search(rf"encoder.layers.0.self_attn.hook_q\s+\[4, {n_src}, 8\]", out)  # [head, src, d_head]


def test_cli_trace_json_schema(tiny_dir, tmp_path):
    out = tmp_path / "t.json"
    assert main(["trace", "--checkpoint", str(tiny_dir / "lstm-attention.safetensors"), "the cat eats",
                 "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert set(data) == {"meta", "tensors"}
    assert {"model", "src_tokens", "tgt_tokens", "translation", "loss"} <= set(data["meta"])
    assert data["meta"]["model"] == "lstm-attention"
    hidden = np.array(data["tensors"]["encoder.hook_hidden"])
    assert hidden.shape == (len(data["meta"]["src_tokens"]), 24)


def test_cli_errors_are_one_line(tiny_dir, tmp_path, capsys):
    assert main(["translate", "--checkpoint", str(tmp_path / "missing.safetensors"), "hi"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("seqviz: error:") and "missing.safetensors" in err and "\n" not in err
    assert main(["translate", "--checkpoint", str(tiny_dir / "transformer.safetensors"), "  "]) == 2
    assert "empty" in capsys.readouterr().err
    assert main(["trace", "--checkpoint", str(tiny_dir / "transformer.safetensors"), "hi", "--out",
                 str(tmp_path / "t.txt")]) == 2
    assert ".json or .npz" in capsys.readouterr().err


def test_weights_of_another_model_are_named_in_one_line(tiny_copy):
    """An RNN's weights under a Transformer card: say what is missing and what is foreign, not torch's 100 lines."""
    (tiny_copy / "transformer.safetensors").write_bytes((tiny_copy / "gru-plain.safetensors").read_bytes())
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(tiny_copy / "transformer.safetensors")
    text = str(e.value)
    assert "\n" not in text and "does not match its weights" in text
    assert "tensors missing, e.g. encoder.layers.0.self_attn.W_Q.weight" in text
    assert "unexpected tensors, e.g. " in text and "seqviz train --model transformer" in text


@pytest.mark.parametrize("command", [["translate"], ["trace", "--list"], ["export-bertviz", "--out", "OUT"]])
def test_every_model_command_takes_model_name_or_checkpoint_path(tiny_dir, tmp_path, capsys, command):
    out = str(tmp_path / "view.html")
    command = [out if part == "OUT" else part for part in command]
    by_name = main([command[0], "--model", "lstm-attention", "--checkpoints", str(tiny_dir), "I am eating",
                    *command[1:]])
    text_by_name = capsys.readouterr().out
    by_path = main([command[0], "--checkpoint", str(tiny_dir / "lstm-attention.safetensors"), "I am eating",
                    *command[1:]])
    text_by_path = capsys.readouterr().out
    assert by_name == by_path == 0 and text_by_name == text_by_path  # the same model either way
    if command[0] == "trace":
        assert "# lstm-attention:" in text_by_name and "decoder.attn.hook_pattern" in text_by_name
    with pytest.raises(SystemExit) as e:  # both at once is refused by argparse, with usage
        main([command[0], "--model", "transformer", "--checkpoint", "x.safetensors", "hi", *command[1:]])
    assert e.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


def test_model_name_is_looked_up_in_the_checkpoint_folder_from_any_directory(tiny_dir, monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)  # not the repository: a bare name must not be read as a relative path
    monkeypatch.setenv("SEQVIZ_CHECKPOINTS", str(tiny_dir))
    assert main(["trace", "--model", "transformer", "I am eating", "--list"]) == 0
    assert capsys.readouterr().out.startswith("# transformer:")
    assert main(["translate", "--model", "no-such-model", "hi"]) == 2
    err = capsys.readouterr().err
    assert "no-such-model" in err and str(tiny_dir) in err and "\n" not in err.strip()


def test_eval_takes_checkpoint_path_too(tiny_dir):
    from seqviz.cli import checkpoint_path, parser

    args = parser().parse_args(["eval", "--checkpoint", str(tiny_dir / "gru-plain.safetensors")])
    assert checkpoint_path(args) == tiny_dir / "gru-plain.safetensors"
    args = parser().parse_args(["eval", "--model", "gru-plain", "--checkpoints", str(tiny_dir)])
    assert checkpoint_path(args) == tiny_dir / "gru-plain.safetensors"
    args = parser().parse_args(["eval", "--checkpoints", str(tiny_dir)])
    assert checkpoint_path(args) == tiny_dir / "transformer.safetensors"


def test_app_passes_streamlits_own_options_and_reads_the_repo_config(monkeypatch):
    """`seqviz app --server.address 0.0.0.0` (a classroom) reaches Streamlit, run from the repository root so
    .streamlit/config.toml applies; an unknown option of another command is still an error."""
    import subprocess

    from seqviz import cli

    calls = []
    monkeypatch.setattr(subprocess, "call", lambda command, **kw: calls.append((command, kw.get("cwd"))) or 0)
    assert cli.main(["app", "--server.address", "0.0.0.0"]) == 0
    command, cwd = calls[-1]
    assert command[-2:] == ["--server.address", "0.0.0.0"] and (cwd / ".streamlit" / "config.toml").is_file()
    assert command[1:3] == ["-m", "seqviz.ui.server"]  # warms the lesson at start-up
    watcher = command.index("--server.fileWatcherType")
    assert command[watcher + 1] == "none"  # a class does not pay Streamlit's per-session source watching
    cli.main(["app", "--server.fileWatcherType", "auto"])  # a developer's choice comes later, so it wins
    assert calls[-1][0][-2:] == ["--server.fileWatcherType", "auto"] and calls[-1][0].index("auto") > watcher
    with pytest.raises(SystemExit):
        cli.main(["translate", "--bogus", "x"])
