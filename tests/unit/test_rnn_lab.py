"""The RNN page's backend against independent references: PyTorch's own cells, autograd, the formulas."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seqviz.checkpoints import load_checkpoint
from seqviz.inputs import InputError
from seqviz.labs import rnn
from seqviz.models import RNNConfig, Seq2Seq
from seqviz.tokenizer import BOS, EOS

SENTENCE = "the red apples are on the table"


@pytest.fixture(scope="module")
def tiny(tiny_dir):
    return {name: load_checkpoint(tiny_dir / f"{name}.safetensors")
            for name in ("lstm-attention", "gru-plain", "transformer")}


@pytest.fixture(scope="module")
def tiny_rnn(tiny):
    """A vanilla tanh RNN with attention, with the tiny models' tokenizer (seeded, untrained)."""
    torch.manual_seed(1)
    lstm = tiny["lstm-attention"]
    model = Seq2Seq(RNNConfig(vocab_size=lstm.tokenizer.vocab_size, cell="rnn", d_embed=16, d_hidden=24,
                              max_len=48)).eval()
    return type(lstm)(name="rnn-attention", model=model, tokenizer=lstm.tokenizer, card={}, path=lstm.path)


def torch_reference_states(loaded, src_tokens_ids):
    """Encoder states from nn.RNNCell / nn.LSTMCell / nn.GRUCell with the model's weights copied in."""
    cell = loaded.model.encoder.cell
    E, H = cell.weight_ih.shape[1], cell.hidden_size
    ref = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[cell.kind](E, H)
    ref.load_state_dict(cell.state_dict())
    x = loaded.model.embedding(torch.tensor(src_tokens_ids))
    h = torch.zeros(1, H)
    c = torch.zeros(1, H)
    out = []
    with torch.no_grad():
        for t in range(len(x)):
            if cell.kind == "lstm":
                h, c = ref(x[t : t + 1], (h, c))
            else:
                h = ref(x[t : t + 1], h)
            out.append(h[0].clone())
    return torch.stack(out).numpy()


@pytest.mark.parametrize("name", ["lstm-attention", "gru-plain", "rnn-attention"])
def test_states_match_torch_cells_and_the_equation(name, tiny, tiny_rnn):
    loaded = tiny_rnn if name == "rnn-attention" else tiny[name]
    run = rnn.analyse(loaded, SENTENCE)
    ids = loaded.tokenizer.encode(SENTENCE) + [EOS]
    assert run.src_tokens == loaded.tokenizer.pieces(ids)
    assert run.enc_states.shape == (len(ids), loaded.model.config.d_hidden)
    np.testing.assert_allclose(run.enc_states, torch_reference_states(loaded, ids), atol=1e-5)
    assert run.steps.recompute_error < 1e-5
    np.testing.assert_allclose(run.steps.h_norm, np.linalg.norm(run.enc_states, axis=1), rtol=1e-5)
    previous = np.vstack([np.zeros((1, run.enc_states.shape[1])), run.enc_states[:-1]])
    np.testing.assert_allclose(run.steps.change, np.linalg.norm(run.enc_states - previous, axis=1), rtol=1e-4)
    np.testing.assert_allclose(run.context, run.enc_states[-1])
    # the input and recurrent pushes are the formula's two terms
    cell = loaded.model.encoder.cell
    x = loaded.model.embedding(torch.tensor(ids)).detach()
    expected = F.linear(x, cell.weight_ih, cell.bias_ih).norm(dim=-1).detach().numpy()
    np.testing.assert_allclose(run.steps.input_norm, expected, rtol=1e-5)
    assert run.steps.recurrent_norm.shape == (len(ids),)
    # decoder rows: one per written token, labelled by the token written, the token read one step behind
    assert len(run.written) == len(run.read) == run.dec_states.shape[0] == len(run.probs)
    assert run.read[0] == "<s>" and run.read[1:] == run.written[:-1]


def test_gates_are_the_cells_gates(tiny):
    lstm = rnn.analyse(tiny["lstm-attention"], SENTENCE)
    assert set(lstm.enc_gates) == {"i", "f", "o", "g", "cell"}
    for g in "ifo":
        assert ((lstm.enc_gates[g] > 0) & (lstm.enc_gates[g] < 1)).all()  # sigmoid gates
        np.testing.assert_allclose(lstm.steps.gate_means[g], lstm.enc_gates[g].mean(1), rtol=1e-5)
    # C_t = f*C_{t-1} + i*g and h_t = o*tanh(C_t), straight from the traced arrays
    G, C = lstm.enc_gates, lstm.enc_gates["cell"]
    C_prev = np.vstack([np.zeros((1, C.shape[1])), C[:-1]])
    np.testing.assert_allclose(C, G["f"] * C_prev + G["i"] * G["g"], atol=1e-5)
    np.testing.assert_allclose(lstm.enc_states, G["o"] * np.tanh(C), atol=1e-5)
    gru = rnn.analyse(tiny["gru-plain"], SENTENCE)
    assert set(gru.enc_gates) == {"r", "z", "n"} and gru.pattern is None and not gru.attention
    Z, N, H = gru.enc_gates["z"], gru.enc_gates["n"], gru.enc_states
    H_prev = np.vstack([np.zeros((1, H.shape[1])), H[:-1]])
    np.testing.assert_allclose(H, (1 - Z) * N + Z * H_prev, atol=1e-5)


def test_attention_rows_sum_to_one(tiny):
    run = rnn.analyse(tiny["lstm-attention"], SENTENCE)
    assert run.pattern.shape == (len(run.written), len(run.src_tokens))
    np.testing.assert_allclose(run.pattern.sum(1), 1.0, atol=1e-5)


@pytest.mark.parametrize("name", ["lstm-attention", "gru-plain"])
def test_grad_norms_match_autograd_through_an_unrolled_encoder(name, tiny):
    """‖∂L/∂h_t‖ from the trace equals autograd through an encoder unrolled here by hand (total derivative:
    through every later step and, with attention, through the memory)."""
    loaded = tiny[name]
    model = loaded.model
    run = rnn.analyse(loaded, SENTENCE)
    ids = loaded.tokenizer.encode(SENTENCE) + [EOS]
    tgt = run.meta["tgt_ids"]
    assert run.meta["src_ids"] == ids
    with torch.enable_grad():
        x = model.embedding(torch.tensor([ids]))
        state = model.encoder.cell.init_state(1, x)
        hs = []
        for t in range(len(ids)):
            state, _ = model.encoder.cell(x[:, t], state)
            hs.append(state[0])
        encoded = {"memory": torch.stack(hs, 1), "final": state, "src_mask": torch.ones(1, len(ids), dtype=bool)}
        logits = model.decode(encoded, torch.tensor([[BOS] + tgt]))
        nll = -F.log_softmax(logits, -1).gather(-1, torch.tensor([tgt + [EOS]])[..., None]).sum()
        grads = torch.autograd.grad(nll, hs)
    expected = np.array([g.norm().item() for g in grads])
    np.testing.assert_allclose(run.grad_norms, expected, rtol=1e-4, atol=1e-7)
    assert all(p.grad is None for p in model.parameters())  # the shared model is untouched


def test_top_units_rank_by_difference_from_the_rest():
    states = np.zeros((4, 5))
    states[2, 3], states[2, 1], states[0, 1] = 1.0, -0.8, 0.4
    top = rnn.top_units(states, 2, k=3)
    assert [row["unit"] for row in top] == [3, 1, 0]
    assert top[0]["value"] == pytest.approx(1.0) and top[0]["mean_elsewhere"] == pytest.approx(0.0)
    assert top[1]["difference"] == pytest.approx(-0.8 - 0.4 / 3)
    with pytest.raises(ValueError):
        rnn.top_units(states, 4)


def test_transformer_run_and_cross_attention(tiny):
    run = rnn.run_model(tiny["transformer"], SENTENCE)
    layers = run.layers
    assert layers.shape[:2] == (2, 4) and layers.shape[2:] == (len(run.written), len(run.src_tokens))
    np.testing.assert_allclose(run.pattern, layers.mean((0, 1)), atol=1e-6)
    np.testing.assert_allclose(rnn.pick_cross(layers, 1, 2), layers[1, 2])
    np.testing.assert_allclose(rnn.pick_cross(layers, 1), layers[1].mean(0))
    np.testing.assert_allclose(run.pattern.sum(1), 1.0, atol=1e-5)
    assert run.ms > 0 and run.loss > 0 and run.grad_norms is None and run.kind == "transformer"
    plain = rnn.run_model(tiny["gru-plain"], SENTENCE)
    assert plain.pattern is None and plain.label == "GRU, fixed context"
    assert plain.grad_norms.shape == (len(plain.src_tokens),)


def test_empty_sentence_raises_input_error(tiny):
    with pytest.raises(InputError):
        rnn.analyse(tiny["gru-plain"], "   ")


def test_equations_follow_the_config():
    plain = rnn.equations(RNNConfig(cell="gru", attention=False))
    assert any("z_t" in e for e in plain) and any("no attention" in e for e in plain)
    lstm = rnn.equations(RNNConfig(cell="lstm"))
    assert any("C_t = f_t" in e for e in lstm) and any("softmax" in e for e in lstm)
    vanilla = rnn.equations(RNNConfig(cell="rnn"))
    assert vanilla[0].startswith(r"h_t = \tanh")
    assert rnn.describe(RNNConfig(cell="rnn")) == "tanh RNN + attention"


def test_equations_block_has_one_equation_a_line():
    for config in (RNNConfig(cell="gru", attention=False), RNNConfig(cell="lstm"), RNNConfig(cell="rnn")):
        lines = rnn.equations(config)
        block = rnn.equations_block(config)
        assert block.startswith(r"\begin{aligned}") and block.endswith(r"\end{aligned}\,")
        rows = block.removeprefix(r"\begin{aligned}").removesuffix(r"\end{aligned}\,").split(r" \\ ")
        assert len(rows) == len(lines)  # one line each, aligned at the first "=" (the note has none)
        for row, line in zip(rows, lines, strict=True):
            assert row.strip().replace(" &= ", " = ").removeprefix("& ") == line


def test_length_rows_and_buckets():
    card = {"metrics": {"test": {"buckets": [{"bucket": "1-5", "n": 3, "bleu": 90.0, "exact_match": 80.0},
                                             {"bucket": "41+", "n": 2, "bleu": 10.0, "exact_match": 0.0}]}}}
    rows = rnn.length_rows({"a": card, "empty": {}})
    assert len(rows) == 4 and {r["model"] for r in rows} == {"a"}
    assert {(r["bucket"], r["metric"]): r["value"] for r in rows}[("41+", "BLEU")] == 10.0
    assert rnn.bucket_of(3, ["1-5", "6-10", "41+"]) == "1-5"
    assert rnn.bucket_of(99, ["1-5", "6-10", "41+"]) == "41+"
    assert rnn.bucket_of(20, ["1-5", "6-10"]) is None
    assert rnn.word_count("  I am   eating ") == 3
