"""Every claim function, fed synthetic arrays where its claim holds and where it does not (DESIGN §3)."""
import numpy as np
import pytest

from seqviz.labs import attention_claims as A
from seqviz.labs import claims as C
from seqviz.labs.positional import Settings, closest_claim, explore, speed_claim
from seqviz.labs.positional_model import Shuffle, offset_claim, order_claim
from tests.helpers import softmax_rows

TOKENS = ["▁the", "▁cat", "▁sat", "</s>"]


def test_memory_claim_counts_the_units_that_keep_their_memory():
    keep = np.full((4, 10), 0.5)
    keep[:, :3] = 0.99  # three units hold f near one
    cell = np.ones((4, 10))
    cell[-1, :3] = 5.0
    text = C.memory_claim(keep, TOKENS, cell=cell)
    assert "3 of 10 units" in text and "dark stripes" in text and "5.0" in text and "“the”" in text
    assert "keeps only 12%" in text  # the median unit: 0.5³
    assert "not larger" in C.memory_claim(keep, TOKENS, cell=np.ones((4, 10)))
    assert C.share(1.2e-4) == "1 in 8,000" and C.share(1e-4) == "1 in 10,000"
    assert C.share(0.42) == "42%" and C.share(0.0) == "nothing"
    assert np.allclose(C.memory_kept(keep)[:3], 0.99 ** 3)


def test_memory_claim_says_so_when_no_unit_keeps_half():
    text = C.memory_claim(np.full((4, 10), 0.5), TOKENS)
    assert "No unit keeps half" in text and "of 10 units" not in text
    assert "One step only" in C.memory_claim(np.full((1, 3), 0.9), TOKENS[:1])
    with pytest.raises(ValueError):
        C.memory_claim(np.full((4, 3), 0.5), TOKENS[:2])


def rows_of(model, values):
    return [{"model": model, "bucket": b, "order": i, "n": 10, "metric": "BLEU", "value": v}
            for i, (b, v) in enumerate(zip(["1-5", "6-10", "41+"], values, strict=True))]


def test_length_claim_both_ways():
    claim = C.length_claim(rows_of("p", [99, 80, 20]), "p")
    assert "falls from 99 on sentences of 1-5 words to 20 on sentences of 41+" in claim
    assert "does not fall" in C.length_claim(rows_of("p", [99, 97, 95]), "p")
    assert "no BLEU by length" in C.length_claim([], "p")


def test_attention_keeps_claim_both_ways():
    rows = rows_of("plain", [99, 60, 20]) + rows_of("att", [99, 95, 80]) + rows_of("weak", [90, 40, 10])
    assert "every attention model scores above it" in C.attention_keeps_claim(rows, "plain", ["att"])
    text = C.attention_keeps_claim(rows, "plain", ["att", "weak"])
    assert "weak does not beat it" in text


def test_alignment_claim_against_uniform():
    sharp = np.eye(4)
    flat = np.full((4, 4), 0.25)
    text = C.alignment_claim({"a": sharp, "b": flat, "plain": None})
    assert "a 100%" in text and "b 25%" in text and "it would be 25%" in text and "plain has no" in text
    assert "No model here has attention" in C.alignment_claim({"plain": None})


def test_crossing_claim_both_ways():
    src, written = ["▁red", "▁apples"], ["▁pommes", "▁rouges"]
    crossed = np.array([[0.1, 0.9], [0.9, 0.1]])
    assert C.crossing(crossed) == (0, 1)
    assert "crosses: writing “pommes” it looks at “apples”" in C.crossing_claim(crossed, src, written)
    assert C.crossing(np.eye(2)) is None
    assert "runs in order" in C.crossing_claim(np.eye(2), src, written)
    assert C.crossing(np.array([[0.3, 0.45, 0.25], [0.45, 0.3, 0.25]])) is None  # peaks below LINK_MIN


def test_gradient_claim_names_falling_and_rising_curves():
    down, up = np.array([0.1, 0.5, 1.0]), np.array([2.0, 1.0, 1.0])
    assert "Every curve is lower at the first word" in C.gradient_claim({"a": down})
    assert "No curve falls" in C.gradient_claim({"a": up})
    mixed = C.gradient_claim({"a": down, "b": up})
    assert "a falls" in mixed and "b does not" in mixed


def test_qkv_error_matches_the_formula_and_catches_a_wrong_trace():
    rng = np.random.default_rng(0)
    q, K, V = rng.normal(size=4), rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    w = A.softmax(K @ q / 2.0)
    errors = A.qkv_error(q, K, V, w, w @ V)
    assert max(errors) < 1e-12 and "The figure is the formula" in A.qkv_claim(errors)
    bad = A.qkv_error(q, K, V, np.full(5, 0.2), w @ V)
    assert bad[0] > 0.01 and "is not the formula" in A.qkv_claim(bad)
    mask = np.array([1, 1, 0, 0, 0])
    masked = A.softmax(np.where(mask > 0, K @ q / 2.0, -np.inf))
    assert max(A.qkv_error(q, K, V, masked, masked @ V, mask)) < 1e-12


def test_previous_token_head_is_found_and_judged_both_ways():
    patterns = softmax_rows((2, 3, 6, 6), spread=0.1)
    shifted = np.eye(6, k=-1)
    shifted[0, 0] = 1
    patterns[1, 2] = 0.8 * shifted + 0.2 / 6
    found = A.previous_token_head(patterns)
    assert (found.layer, found.head) == (1, 2) and found.score == pytest.approx(0.8 + 0.2 / 6)
    assert "layer 1 head 2 is a previous-word head" in A.previous_token_claim(found)
    flat = A.previous_token_head(np.full((1, 2, 6, 6), 1 / 6))
    assert "No encoder self-attention head prefers" in A.previous_token_claim(flat)


def test_link_head_both_ways_and_missing_words():
    rows, keys = ["▁le", "▁chat", "il"], ["▁the", "▁cat", "▁it"]
    patterns = np.full((2, 2, 3, 3), 1 / 3)
    patterns[1, 0, 2] = [0.05, 0.05, 0.9]
    found = A.link_head(patterns, rows, keys, "il", "it")
    assert (found.layer, found.head, round(found.score, 2)) == (1, 0, 0.9)
    assert "layer 1 head 0: writing “il” puts 90%" in A.link_claim(found, "il", "it")
    weak = A.link_head(patterns, rows, keys, "chat", "cat")
    assert "No cross-attention head links" in A.link_claim(weak, "chat", "cat")
    assert A.link_head(patterns, rows, keys, "chien", "dog") is None
    assert "not in this sentence" in A.link_claim(None, "chien", "dog")


def test_mask_and_cross_claims_both_ways():
    causal = softmax_rows((2, 2, 4, 4), causal=True)
    assert A.mask_leak(causal) == 0 and "no step looks at a word" in A.mask_claim(causal)
    assert "the mask is not working" in A.mask_claim(softmax_rows((1, 1, 4, 4)))
    src, written = ["▁a", "▁b", "▁c"], ["▁x", "▁y", "▁z"]
    moving = np.eye(3) * 0.9 + 0.1 / 3
    assert A.cross_moves(moving) == 3 and "moves over 3 of the 3" in A.cross_claim(moving, src, written)
    still = np.tile([0.8, 0.1, 0.1], (3, 1))
    assert "does not move" in A.cross_claim(still, src, written)


def test_confidence_note_both_ways():
    assert "largest probability here is 91%" in A.confidence_note([0.91, 0.88])
    assert "reaches 99%, above it" in A.confidence_note([0.99, 0.5])
    assert A.confidence_note([]) == ""


def test_reference_claim_scores_and_names_exact_matches():
    text = C.reference_claim({"good": "je mange la pomme", "bad": "tu dors"}, "je mange la pomme")
    assert "good 100" in text and "bad 0" in text and "good writes it exactly" in text
    assert "exactly" not in C.reference_claim({"bad": "tu dors"}, "je mange")


def shuffle(translations, same_input=False):
    return Shuffle([], [], np.arange(2), 1e-7, 1.0, np.zeros(2), np.ones(2), translations, same_input)


def test_order_claim_both_ways():
    shows = shuffle({"original, PE on": "le chat dort", "original, PE off": "le chat dort",
                     "shuffled, PE on": "dort le chat", "shuffled, PE off": "le chat dort"})
    assert "bag of words" in order_claim(shows) and "Even the original" not in order_claim(shows)
    same = shuffle({"original, PE on": "je mange", "original, PE off": "je mange",
                    "shuffled, PE on": "je mange", "shuffled, PE off": "je mange"})
    assert "with PE on it does not change it either" in order_claim(same)
    differs = shuffle({"original, PE on": "a", "original, PE off": "a", "shuffled, PE on": "b",
                       "shuffled, PE off": "c"})
    assert "translates differently" in order_claim(differs)
    assert "nothing to compare" in order_claim(shuffle(same.translations, same_input=True))


def test_offset_claim_both_ways():
    offsets = (-1, 0, 1)
    on = np.full((2, 2, 3), 0.1)
    on[0, 1, 0] = 0.5
    off = np.full((2, 2, 3), 0.1)
    text = offset_claim(on, off, offsets)
    assert "layer 0 head 1 (previous token, 50%)" in text and "With PE off none does" in text
    assert "With PE off 1 still does" in offset_claim(on, on, offsets)
    assert "No encoder head prefers" in offset_claim(off, off, offsets)


def test_positional_claims_both_ways():
    assert "low dimensions change fast" in speed_claim(np.array([6.3, 60.0, 600.0]))
    assert "do not grow" in speed_claim(np.array([6.3, 600.0, 60.0]))
    e = explore(Settings(length=100))
    assert "With d = 2, two of the 100 positions" in closest_claim(e.sweep_dims, e.sweep, 100)
    short = explore(Settings(length=20))
    assert "none collide here" in closest_claim(short.sweep_dims, short.sweep, 20)


def test_head_claim_both_ways():
    rows = keys = ["▁we", "▁eat", "▁the", "▁the"]
    previous = np.eye(4, k=-1) * 0.9 + 0.1 / 4
    previous[0] = 0.25
    text = A.head_claim(previous, rows, keys, "encoder self")
    assert "3 of its 4 rows put at least 50%" in text and "“eat” → “we” 92%; “the” → “eat” 92%;" in text
    assert "previous token: " in text
    flat = A.head_claim(np.full((4, 4), 0.25), rows, keys, "cross")
    assert "No row puts half" in flat and "previous" not in flat
    with pytest.raises(ValueError):
        A.head_claim(np.full((3, 4), 0.25), rows, keys, "cross")


def test_sharpest_head_both_ways():
    patterns = np.full((2, 2, 3, 3), 1 / 3)
    patterns[0, 1] = np.eye(3) * 0.9 + 0.1 / 3
    found = A.sharpest_head(patterns)
    assert (found.layer, found.head) == (0, 1) and "layer 0 head 1: each row puts on average 93%" in \
        A.sharpest_claim(found)
    assert "No cross-attention head focuses" in A.sharpest_claim(A.sharpest_head(np.full((1, 2, 3, 3), 1 / 3)))


def test_whole_word_joins_the_pieces_of_a_word():
    tokens = ["▁les", "▁p", "ommes", "▁rouges", "</s>"]
    assert [C.whole_word(tokens, i) for i in range(5)] == ["les", "pommes", "pommes", "rouges", "</s>"]
    assert C.whole_word(["j", "'", "ai", "me"], 2) == "j'aime"


def test_memory_kept_is_what_the_lstm_update_leaves_of_the_first_memory():
    rng = np.random.default_rng(1)
    f = rng.uniform(0, 1, (5, 3))
    first = rng.normal(size=3)
    memory = first.copy()
    for t in range(1, 5):  # C_t = f_t ⊙ C_{t−1} + i_t ⊙ g_t, with nothing new written (i ⊙ g = 0)
        memory = f[t] * memory
    np.testing.assert_allclose(memory, C.memory_kept(f) * first)


def test_closest_claim_says_when_the_largest_base_crowds_the_rows_again():
    dims = np.array([2, 4])
    falls = np.array([[0.01, 0.02, 0.01], [0.1, 0.34, 0.14]])
    assert "the largest base brings d = 4 back to 0.14" in closest_claim(dims, falls, 100)
    stays = np.array([[0.01, 0.02, 0.01], [0.1, 0.34, 0.30]])
    claim = closest_claim(dims, stays, 100)
    assert "at least 0.34 apart." in claim and "largest base" not in claim
