"""`seqviz playground` through its own parser (the lead wires `register` into cli.py)."""
import argparse
import json

import pytest

from seqviz.commands import playground


def main(argv):
    parser = argparse.ArgumentParser()
    playground.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["playground", *argv])
    return args.func(args)


@pytest.mark.parametrize("model", ["transformer", "gru-attention", "gru-plain"])
def test_playground_prints_and_writes_json(model, tmp_path, capsys):
    out = tmp_path / "out.json"
    assert main(["--task", "reverse", "--n", "5", "--model", model, "--steps", "6", "--d-model", "16",
                 "--json", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith(f"{model}") and "on reverse, n = 5: accuracy" in printed[0]
    assert printed[1].startswith("final held-out token accuracy: ")
    data = json.loads(out.read_text())
    assert data["config"]["model"] == model and len(data["curves"]["loss"]) == 6
    assert [s["step"] for s in data["snapshots"]] == [0, 1, 2, 3, 4, 5, 6]
    assert data["probe"]["source"][-1] == "</s>" and len(data["probe"]["ideal"]) == 6
    attention = data["snapshots"][-1]["attention"]
    if model == "transformer":
        assert len(attention["decoder.layers.0.cross_attn.hook_pattern"]) == 2  # heads
    else:
        assert list(attention) == (["decoder.attn.hook_pattern"] if model == "gru-attention" else [])


def test_playground_refuses_bad_settings():
    with pytest.raises(ValueError, match="n must be"):
        main(["--n", "40", "--steps", "1"])
