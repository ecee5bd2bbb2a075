"""The positional-encoding page's second room: what order means to the trained Transformer. The PE rows it
adds to each embedding, the encoder with PE switched off by a hook edit (the shared model is never modified) on
a sentence and a shuffled copy, and how strongly each encoder head attends by relative offset. The formula's
matrix, waves and relative-position properties are in labs/positional.py.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from seqviz.decode import greedy
from seqviz.inputs import prepare_source
from seqviz.labs.positional import OFFSETS
from seqviz.models.hooks import HookContext, hook_context
from seqviz.names import act_name
from seqviz.tokenizer import EOS

# ------------------------------------------------------------------------------------------- the trained model

def zero_pe(_name: str, x: torch.Tensor) -> torch.Tensor:
    """Hook edit for `encoder.hook_pos`: the positional rows become zeros (the model is not touched)."""
    return torch.zeros_like(x)


PE_POS, PE_EMBED = act_name("encoder", leaf="pos"), act_name("encoder", leaf="embed")
PE_OFF = {PE_POS: zero_pe}


@dataclass(frozen=True)
class ModelInputs:
    """What enters the encoder's first layer for one sentence: x = embedding·√d_model + PE."""
    tokens: list[str]  # source pieces, ending in </s>
    embed: np.ndarray  # [n, d] token embeddings as the model scales them (× √d_model), from encoder.hook_embed
    pe: np.ndarray  # [n, d] the PE rows the model adds, from encoder.hook_pos
    total: np.ndarray  # [n, d] their sum, the input of encoder layer 0
    embed_scale: float  # √d_model
    table: np.ndarray  # [max_len, d] the model's whole PE table (its buffer)
    dropped: int  # tokens cut to fit max_len

    @property
    def norms(self) -> dict[str, np.ndarray]:
        return {name: np.linalg.norm(a, axis=1) for name, a in
                (("embedding × √d", self.embed), ("PE", self.pe), ("sum", self.total))}


@torch.inference_mode()
def model_inputs(model, tokenizer, sentence: str) -> ModelInputs:
    """Run the encoder once, recording encoder.hook_embed and encoder.hook_pos (raises InputError on empty)."""
    prepared = prepare_source(tokenizer, sentence, model.config.max_len)
    with hook_context(HookContext(record=True)) as context:
        model.encode(torch.tensor([prepared.ids]))
    embed = context.records[PE_EMBED][-1][0].float().numpy()
    pe = context.records[PE_POS][-1][0].float().numpy()
    table = model.encoder.pos.table.float().numpy().copy()
    return ModelInputs(tokenizer.pieces(prepared.ids), embed, pe, embed + pe, float(model.embed_scale), table,
                       prepared.dropped)


def shuffled_order(n_words: int, seed: int) -> np.ndarray:
    """A seeded permutation of 0..n_words-1 that moves at least one word when n_words >= 2."""
    rng = np.random.default_rng(seed)
    if n_words < 2:
        return np.arange(n_words)
    while True:
        perm = rng.permutation(n_words)
        if (perm != np.arange(n_words)).any():
            return perm


@dataclass(frozen=True)
class Shuffle:
    """The order experiment: the encoder on a sentence and on a shuffled copy, PE on and off."""
    tokens: list[str]  # original source pieces (with </s>)
    shuffled_tokens: list[str]  # the shuffled copy: words permuted, </s> kept last
    perm: np.ndarray  # [n] shuffled position i holds original position perm[i]
    diff_pe_off: float  # max |enc(shuffled) − enc(original)[perm]| with encoder.hook_pos zeroed
    diff_pe_on: float  # the same with the PE in place
    per_token_off: np.ndarray  # [n] max difference per shuffled position, PE off
    per_token_on: np.ndarray  # [n] the same, PE on
    translations: dict[str, str]  # "original, PE on" ... "shuffled, PE off" -> greedy translation
    same_input: bool  # True when shuffling left the ids unchanged (e.g. "the the the")


def encoder_output(model, ids: list[int], edits: dict | None = None) -> torch.Tensor:
    """The encoder's last layer output [n, d_model] for one sentence (no padding), with optional hook edits."""
    with torch.inference_mode(), hook_context(HookContext(record=False, edits=edits or {})):
        return model.encode(torch.tensor([ids]))["memory"][0].float()


def shuffle_experiment(model, tokenizer, sentence: str, seed: int = 0) -> Shuffle:
    """Permute the source pieces (</s> stays last; there is no padding: one sentence) and compare the encoder
    outputs, shuffled the same way, with and without positional encoding; translate all four inputs."""
    ids = prepare_source(tokenizer, sentence, model.config.max_len).ids
    words = ids[:-1] if ids[-1] == EOS else ids
    perm = np.r_[shuffled_order(len(words), seed), np.arange(len(words), len(ids))]
    shuffled = [ids[i] for i in perm]
    index = torch.as_tensor(perm)
    per_token = {}
    for label, edits in (("on", None), ("off", PE_OFF)):
        original = encoder_output(model, ids, edits)
        moved = encoder_output(model, shuffled, edits)
        per_token[label] = (moved - original[index]).abs().amax(dim=1).numpy()
    translations = {}
    for which, src in (("original", ids), ("shuffled", shuffled)):
        for label, edits in (("on", None), ("off", PE_OFF)):
            translations[f"{which}, PE {label}"] = tokenizer.decode(greedy(model, src, ablate=edits).tokens)
    return Shuffle(tokenizer.pieces(ids), tokenizer.pieces(shuffled), perm, float(per_token["off"].max()),
                   float(per_token["on"].max()), per_token["off"], per_token["on"], translations, shuffled == ids)


@torch.inference_mode()
def offset_profile(model, tokenizer, sentences: list[str], pe_on: bool = True,
                   offsets: tuple[int, ...] = OFFSETS) -> np.ndarray:
    """Mean attention weight of every encoder head at relative offset (key − query) -> [layer, head, offset].

    Sentences are run as one padded batch. For each offset o, the mean is over every real query q of every
    sentence whose key q + o is a real token (padding is never a query or a key; </s> counts as a token)."""
    encoded = [prepare_source(tokenizer, s, model.config.max_len).ids for s in sentences if s.strip()]
    if not encoded:
        raise ValueError("no sentences")
    width = max(map(len, encoded))
    pad = model.config.pad_id
    src = torch.tensor([ids + [pad] * (width - len(ids)) for ids in encoded])
    with hook_context(HookContext(record=True, edits=None if pe_on else PE_OFF)) as context:
        model.encode(src)
    layers = [context.records[f"encoder.layers.{i}.self_attn.hook_pattern"][-1].float()
              for i in range(len(model.encoder.layers))]
    pattern = torch.stack(layers, 1)  # [b, layer, head, q, k]
    real = src != pad  # [b, n]
    out = np.zeros((pattern.shape[1], pattern.shape[2], len(offsets)))
    q = torch.arange(width)
    for j, o in enumerate(offsets):
        k = q + o
        inside = (k >= 0) & (k < width)
        qs, ks = q[inside], k[inside]
        valid = real[:, qs] & real[:, ks]  # [b, m]
        mass = pattern[:, :, :, qs, ks]  # [b, layer, head, m]
        total = (mass * valid[:, None, None, :]).sum(dim=(0, 3))
        count = valid.sum()
        out[:, :, j] = (total / count).numpy() if count else np.nan
    return out


@dataclass(frozen=True)
class TrainingFacts:
    longest_source: int | None  # source positions used in training (pieces + </s>); None when unknown
    sentences: list[str]  # test-split English sentences for the offset profile
    note: str  # where these came from, for the page


def training_facts(card: dict, tokenizer, max_len: int, n_sentences: int = 32, directory=None) -> TrainingFacts:
    """The longest training source and some test sentences: read from what training stored beside the tokenizer
    in `directory` (checked against the card's corpus hash), else by rebuilding the card's generated corpus (a few
    seconds, for folders trained before training stored them). A TSV corpus with neither gives None and
    generated sentences instead."""
    from seqviz.data import corpus_hash, generate_corpus, load_splits
    from seqviz.vocabulary import read_corpus_info

    corpus = card.get("corpus", {})
    info = read_corpus_info(directory, corpus.get("hash")) if directory is not None else None
    if info and info.get("longest_source_pieces") and info.get("test_sentences"):
        return TrainingFacts(min(int(info["longest_source_pieces"]), max_len),
                             list(info["test_sentences"][:n_sentences]),
                             "the training corpus's test split, as training recorded it (tokenizer.json)")
    n, seed = corpus.get("generated_n"), card.get("training", {}).get("seed", 0)
    if corpus.get("source") == "generated" and n:
        splits = load_splits(n=int(n), seed=int(seed))
        if corpus_hash(splits["train"] + splits["valid"] + splits["test"]) == corpus.get("hash"):
            longest = max(min(len(tokenizer.encode(en)), max_len - 1) for en, _ in splits["train"]) + 1
            return TrainingFacts(longest, [en for en, _ in splits["test"][:n_sentences]],
                                 f"the card's generated corpus ({n:,} pairs, hash checked), test split")
    sentences = [en for en, _ in generate_corpus(n_sentences, seed=1)]
    return TrainingFacts(None, sentences, "generated sentences (the training corpus is not reproducible here)")


# ------------------------------------------------------------------- the page's claims, computed (DESIGN §3)

def order_claim(result: Shuffle) -> str:
    """What the four translations of the order experiment show, in words: the claim when PE off ignores the
    shuffle and PE on does not; an honest sentence otherwise (the caption beside the four translations)."""
    t = result.translations
    off_same = t["original, PE off"] == t["shuffled, PE off"]
    on_differs = t["original, PE on"] != t["shuffled, PE on"]
    if result.same_input:
        return "Shuffling did not change this input, so there is nothing to compare: type a longer sentence."
    if off_same and on_differs:
        out = (f"With PE off, the shuffled words get the very translation of the original (“{t['shuffled, PE off']}”): "
               "without positions the model reads a bag of words. With PE on, the shuffle changes the translation "
               f"(“{t['shuffled, PE on']}”): order reaches the model only through the positional encoding.")
        if t["original, PE off"] != t["original, PE on"]:
            out += " Even the original sentence comes out differently without PE."
        return out
    if off_same:
        return ("With PE off the shuffle does not change the translation, and with PE on it does not change it "
                "either: this sentence's words fix its meaning. Try the cat sentence or another shuffle seed.")
    return (f"With PE off the shuffled copy translates differently (max encoder difference {result.diff_pe_off:.1e}): "
            "the decoder's own positions still see an order.")


def offset_claim(on: np.ndarray, off: np.ndarray, offsets: tuple[int, ...] = OFFSETS, factor: float = 2.0) -> str:
    """Which encoder heads prefer the previous or next token, with PE on and off ([layer, head, offset] each)."""
    def preferring(profile: np.ndarray) -> list[tuple[int, int, int, float]]:
        found = []
        for o in (-1, 1):
            column = profile[:, :, offsets.index(o)]
            typical = float(np.nanmedian(profile))
            for layer, head in zip(*np.nonzero(column >= factor * typical), strict=True):
                found.append((int(layer), int(head), o, float(column[layer, head])))
        return found

    with_pe, without = preferring(on), preferring(off)
    if not with_pe:
        return "No encoder head prefers the previous or next token on these sentences."
    named = ", ".join(f"layer {lay} head {h} ({'previous' if o < 0 else 'next'} token, {v:.0%})"
                      for lay, h, o, v in with_pe[:4])
    tail = ("With PE off none does: without positions a head cannot find its neighbour." if not without else
            f"With PE off {len(without)} still do{'es' if len(without) == 1 else ''}.")
    return f"Heads with a strong −1 or +1 column (the high end of the colour bar): {named}. {tail}"
