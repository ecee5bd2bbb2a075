"""The lesson path and the example sentences: what Home walks through, and what every sentence box offers.

Plain data, torch-free. Each step names the page and the query parameters that set it up, so a link
opens the page in the state the step talks about; `tests/app/test_lesson.py` checks that every preset
lands in the widgets.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode


@dataclass(frozen=True)
class Example:
    label: str  # the lesson point it shows
    sentence: str
    reference: str  # the corpus's French; the shipped Transformer writes exactly this (a test checks)


EXAMPLES = (
    Example("the seed sentence", "I am eating", "je mange"),
    Example("what does “it” attend to?", "the cat sat on the mat because it was comfortable",
            "le chat s'est assis sur le tapis parce qu'il était confortable"),
    Example("adjectives move after the noun", "i like the red apples", "j'aime les pommes rouges"),
    Example("ne … pas wraps the verb", "i am not eating the apple", "je ne mange pas la pomme"),
    Example("elision and the passé composé", "the elephant did not leave", "l'éléphant n'est pas parti"),
    Example("a relative clause", "the cat that eats the bread is sleeping in the garden",
            "le chat qui mange le pain dort dans le jardin"),
    Example("30 words: the length effect",
            "some cows were not sleeping in the shop that was big and you hope that my girl does not make the "
            "cake for their beautiful sisters for the young sister",
            "des vaches ne dormaient pas dans le magasin qui était grand et tu espères que ma fille ne fait pas "
            "le gâteau pour leurs belles sœurs pour la jeune sœur"),
    Example("45 words: longer still",
            "she knows that his sad girls were cleaning the kitchen so she cleans the window that is on a table "
            "because she went to a beautiful school that is small and the men sat under the mat last night "
            "because you sat under her mat",
            "elle sait que ses filles tristes nettoyaient la cuisine donc elle nettoie la fenêtre qui est sur une "
            "table parce qu'elle est allée à une belle école qui est petite et les hommes se sont assis sous le "
            "tapis hier soir parce que tu t'es assis sous son tapis"),
)


@dataclass(frozen=True)
class Step:
    title: str
    text: str  # two or three sentences, in the project's own words
    figure: str  # the one figure to look at
    page: str  # url_path of the page
    params: dict = field(default_factory=dict)  # the preset, as query parameters

    def link(self, number: int) -> str:
        """The page's URL with the preset and the step number (which draws the Back / Next bar)."""
        return f"{self.page}?" + urlencode({**self.params, "step": number})


CAT = EXAMPLES[1].sentence
LONG = EXAMPLES[6].sentence

LESSON = (
    Step("RNN basics: reading word by word",
         "A recurrent network reads one word at a time and folds it into a single hidden state, "
         "h_t = tanh(W_hx x_t + W_hh h_{t-1} + b). Whatever it knows about the first word must survive every "
         "later step. Press play and watch the state change as each word arrives.",
         "the reading animation: one new column h_t per word", "rnn",
         {"sentence": "I am eating", "model": "rnn-attention", "view": "Hidden states"}),
    Step("BPTT and vanishing gradients",
         "Training sends the error back through every step, multiplying by W_hh and tanh' each time. "
         "With a spectral radius ρ below one the gradient shrinks at least geometrically: on the log scale a "
         "linear RNN falls in a straight line of slope log ρ, and tanh only makes it steeper. Pascanu's bound "
         "stays above the curve; the sentences under the figure say by how many decades.",
         "‖∂L/∂h_t‖ against t, with Pascanu's bound", "gradients",
         {"cell": "rnn,rnn-linear", "rho": 0.9, "T": 100, "section": "time", "view": "curves"}),
    Step("LSTM and GRU gates",
         "Gates are small sigmoids that decide what to keep: C_t = f⊙C_{t−1} + i⊙g. A unit whose forget gate f "
         "stays near one carries its memory forward, so information (and gradient) crosses many steps; at f = 0.5 "
         "the memory halves at every word. In this model most units forget within a few words, and a few hold f "
         "near one across the whole sentence: they are the long memory. The sentence under the maps counts them.",
         "the cell-state map: the few dark stripes that grow from the first word to the last are the units whose "
         "forget gate stays near one",
         "rnn", {"sentence": CAT, "model": "lstm-attention", "view": "Gates"}),
    Step("seq2seq and the fixed-context bottleneck",
         "A plain encoder-decoder hands the decoder one vector, the last hidden state. Short or long, the "
         "sentence must fit in the same number of units, and long sentences come out worse.",
         "the single context vector, and exact match against sentence length", "rnn",
         {"sentence": LONG, "model": "gru-plain", "view": "Bottleneck"}),
    Step("Attention",
         "With attention the decoder looks back at every encoder state while it writes each word, "
         "c_t = Σ_i a_t^i h_i. Compare the five models on one long sentence: the attention models keep "
         "their alignment, and the plain model has only its one vector.",
         "each model's alignment, side by side", "rnn",
         {"sentence": LONG, "model": "gru-attention", "view": "Compare"}),
    Step("Self-attention and Q, K, V",
         "The Transformer drops recurrence: every word asks a query, every word offers a key and a value, "
         "and softmax(QKᵀ/√d_k)V mixes them. Walk through the real numbers of one head.",
         "the QKV walkthrough, step by step", "attention",
         {"sentence": "I am eating", "view": "QKV walkthrough", "kind": "encoder self", "layer": 0, "head": 0}),
    Step("Multi-head attention",
         "Several heads run side by side, each with its own Q, K and V, and they learn different jobs. The preset "
         "opens a cross-attention head that aligns the translation with the source: find the row where writing "
         "“il” looks at “it”, and “chat” at “cat”. Then click the encoder's tiles for a head that looks at the "
         "previous word, a strong line just under the diagonal. No head here links “it” to “cat”: resolving the "
         "pronoun is not a job this small model learned.",
         "the head below the model view: one row per French word, strongest (see the colour bar) where it looks "
         "in the English",
         "attention", {"sentence": CAT, "view": "Model view", "kind": "cross", "layer": 1, "head": 0}),
    Step("Positional encoding",
         "Self-attention alone does not know word order, so each position gets a fixed pattern of sines and "
         "cosines at different frequencies. Move the sliders: low dimensions change fast, high ones slowly. Then "
         "open “Order without PE” below: switched off, the positional encoding no longer tells the model where a "
         "word is, and the shuffled cat sentence gets the same translation as the original.",
         "the position × dimension heatmap, then the four translations under “Order without PE”", "positional",
         {"d": 128, "L": 100, "base": 10000, "sentence": CAT, "shuffle": 0}),
    Step("Decoder masking and cross-attention",
         "The decoder may not peek at words it has not written yet: its self-attention is masked. "
         "Cross-attention lets each written word look at the English source; watch it move as the translation "
         "is written.",
         "the decoding animation of cross-attention", "attention",
         {"sentence": "i like the red apples", "view": "Decoding"}),
    Step("RNN vs Transformer: compute",
         "An RNN needs n steps one after another; a Transformer layer does all positions at once but "
         "pays n² for attention. Measure both on this machine and read what it means.",
         "time against length on log-log axes", "compute",
         {}),
)
