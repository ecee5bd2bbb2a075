"""The page registry: every page and every control it shares through the URL, declared once.

Navigation (app.py), the URL helper (ui/url_state.py), the share and trimmed links, the lesson presets
(tests/unit/test_lesson_presets.py), the CLI's page commands and `seqviz bench`'s page sections all read this
list, so a page, a control or a URL name is spelled in one place. TensorFlow Playground's state.ts is the model:
a control is its session key, its URL name, its kind, its range or choices, its default and its label.

A control's `key` is the session-state key that holds its value (the widget's key, or a plain key the page
binds widgets to). Ranges are what a link may ask for; a page narrows them to the loaded model (a layer the
model has) and says so.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seqviz.inputs import DEFAULT_SENTENCE
from seqviz.labs import compute as compute_lab
from seqviz.labs import gradients as gradients_lab
from seqviz.labs import gradients_learning as learning_lab
from seqviz.labs import positional as positional_lab
from seqviz.labs import training as training_lab
from seqviz.labs.training_tasks import N_RANGE as TRAINING_N
from seqviz.labs.training_tasks import TASKS as TRAINING_TASKS

KINDS = ("number", "choice", "list", "text", "flag")


@dataclass(frozen=True)
class Control:
    key: str  # session-state key holding the value
    url: str  # query-parameter name
    kind: str  # one of KINDS
    default: Any  # None: the page decides (the first model found, dims that depend on d)
    label: str
    low: float | None = None  # number: the range a link may ask for (list of numbers: each item's range)
    high: float | None = None
    step: float | None = None  # number: values snap to low + n·step; int when step and low are whole
    choices: tuple = ()  # choice, list: the allowed values; empty means the page decides (model names)
    hide: str | None = None  # the trimmed-link group ("model picker") that may hide it; None: never hidden
    max_items: int | None = None  # list: at most this many
    mirror: bool = True  # False: read from a link but never written back (an action such as ?run=1)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.url}: kind {self.kind!r} is not one of {KINDS}")

    @property
    def integer(self) -> bool:
        """Whole numbers: a number control whose default, range and step are all ints (floats otherwise)."""
        return not any(isinstance(x, float) for x in (self.default, self.low, self.high, self.step))


@dataclass(frozen=True)
class Page:
    name: str  # the short name used in code, links and `seqviz bench --only`
    title: str
    section: str
    icon: str  # a Material icon, which needs no emoji font
    url_path: str  # "" is the home page
    module: str  # the ui module that draws it
    controls: tuple[Control, ...] = ()
    command: str | None = None  # seqviz.commands.* module with register(subparsers)
    bench: str | None = None  # seqviz.benchmarks.* module with run(checkpoints, quick)
    reads_sentence: bool = False  # shows the shared sentence box (the share link carries ?sentence=)

    @property
    def file(self) -> str:
        """The page's script, relative to the repository root (st.Page takes a path)."""
        return self.module.replace(".", "/") + ".py"

    def control(self, url: str) -> Control:
        for c in self.controls:
            if c.url == url:
                return c
        raise KeyError(f"page {self.name!r} declares no control ?{url}=")

    @property
    def hide_groups(self) -> dict[str, tuple[str, ...]]:
        """Trimmed-link group label -> the session keys it hides, in declaration order."""
        groups: dict[str, tuple[str, ...]] = {}
        for c in self.controls:
            if c.hide:
                groups[c.hide] = groups.get(c.hide, ()) + (c.key,)
        return groups


SENTENCE_KEY = "sentence"  # the one sentence that follows the user from page to page


def _sentence() -> Control:
    return Control(SENTENCE_KEY, "sentence", "text", DEFAULT_SENTENCE, "English sentence")


# ---------------------------------------------------------------- views and ui-only choices, named once

RNN_VIEWS = ("Hidden states", "Gates", "Alignment", "Bottleneck", "Compare", "Gradient")
RNN_ALIGNMENTS = ("mean over layers and heads", "last layer, mean over heads")
ATTENTION_VIEWS = ("Model view", "Decoding", "QKV walkthrough", "Saliency", "What if", "Export")
ATTENTION_KINDS = ("encoder self", "decoder self", "cross")
GRADIENT_SECTIONS = {"time": "Gradient through time", "cliff": "Exploding and clipping",
                     "experiment": "Live experiment", "trained": "Trained translation models"}
GRADIENT_VIEWS = {"curves": "Curves and bound", "connectivity": "Connectivity", "flow": "Flow animation",
                  "lstm": "LSTM cell state and gates"}
EXP_CHOICES = ("rnn", "rnn-relu", "lstm", "gru", "transformer")
EXP_LENGTH_CHOICES = (5, 10, 20, 50, 100, 150, 200, 300)
EXP_STEP_CHOICES = (100, 200, 300, 500)
CLIP_RANGE = (0.1, 20.0)
FLOW_FRAMES = (10, 60)  # the flow animation's frame count: enough to see the wave, few enough to send
POSITIONAL_BASES = tuple(sorted({int(round(m * 10 ** e)) for e in range(1, 5) for m in (1, 1.5, 2, 3, 5, 7)}
                                | {100000}))
# The positional page's two tab bars by short name (the page maps each to its tab's label, icon and all): a link
# reads ?tab=waves, not the label's Material-icon markup, and renaming a tab's label keeps old links working.
POSITIONAL_TABS = ("matrix", "waves", "relative")
POSITIONAL_MODEL_TABS = ("inputs", "order")
COMPUTE_BATCHES = (1, 2, 4, 8, 16, 32)
MAX_THREADS = 64  # a link may ask for any thread count up to this; the page keeps those the machine has

TRAINING_PARTS = ("live", "replay", "upload")
ALL = -1  # "every layer / every head (mean)" in a layer or head picker


PAGES: tuple[Page, ...] = (
    Page("home", "Home", "Start", ":material/home:", "", "seqviz.ui.home",
         controls=(_sentence(),), reads_sentence=True),
    Page("rnn", "RNN seq2seq", "Recurrent networks", ":material/repeat:", "rnn", "seqviz.ui.rnn",
         controls=(
             _sentence(),
             Control("rnn_model", "model", "choice", None, "RNN model", hide="model picker"),
             Control("rnn_view", "view", "choice", RNN_VIEWS[0], "View", choices=RNN_VIEWS, hide="view switcher"),
             Control("rnn_gate_side", "side", "choice", "encoder", "Side", choices=("encoder", "decoder")),
             Control("rnn_word", "word", "number", 0, "Word", low=0, high=511),
             Control("rnn_unit", "unit", "number", 0, "Unit", low=0, high=4095),
             Control("rnn_layer_pick", "layer", "number", ALL, "Transformer layer", low=ALL, high=63),
             Control("rnn_head_pick", "head", "number", ALL, "Head", low=ALL, high=63),
             Control("rnn_compare_cross", "alignment", "choice", RNN_ALIGNMENTS[0], "Transformer alignment",
                     choices=RNN_ALIGNMENTS),
         ), bench="seqviz.benchmarks.rnn", reads_sentence=True),
    Page("gradients", "Gradients lab", "Recurrent networks", ":material/trending_down:", "gradients",
         "seqviz.ui.gradients",
         controls=(
             Control("grad_cells", "cell", "list", ("rnn", "lstm", "gru"), "Cells to compare",
                     choices=gradients_lab.CELL_CHOICES, hide="cell picker"),
             Control("grad_T", "T", "number", 100, "Sequence length T", *gradients_lab.T_RANGE),
             Control("grad_hidden", "hidden", "number", 32, "Hidden size", *gradients_lab.HIDDEN_RANGE),
             Control("grad_rho", "rho", "number", 1.0, "Spectral radius ρ of W_hh", *gradients_lab.RHO_RANGE,
                     step=0.01),
             Control("grad_init", "init", "choice", "orthogonal", "Initialisation of W_hh",
                     choices=gradients_lab.INITS, hide="advanced settings"),
             Control("grad_fbias", "forget_bias", "number", 1.0, "LSTM forget-gate bias", -5.0, 10.0, step=0.5,
                     hide="advanced settings"),
             Control("grad_loss", "loss", "choice", "last", "Where the loss sits", choices=gradients_lab.LOSSES,
                     hide="advanced settings"),
             Control("grad_xscale", "input_scale", "number", 1.0, "Input scale", 0.0, 5.0, step=0.1,
                     hide="advanced settings"),
             Control("grad_seed", "seed", "number", 0, "Seed", 0, 9999, hide="advanced settings"),
             Control("grad_clip", "clip", "number", 1.0, "Gradient-clipping threshold", *CLIP_RANGE, step=0.1,
                     hide="advanced settings"),
             Control("grad_section", "section", "choice", "time", "Part", choices=tuple(GRADIENT_SECTIONS),
                     hide="view switcher"),
             Control("grad_view", "view", "choice", "curves", "View", choices=tuple(GRADIENT_VIEWS),
                     hide="view switcher"),
             Control("grad_predict", "predict", "flag", False, "Predict, then reveal"),
             Control("grad_conn_cell", "conn_cell", "choice", None, "Cell (connectivity)",
                     choices=gradients_lab.CELL_CHOICES),
             Control("grad_frames", "frames", "number", 40, "Frames", *FLOW_FRAMES, step=5),
             Control("grad_exp_models", "exp_models", "list", tuple(learning_lab.EXP_CELLS), "Models",
                     choices=EXP_CHOICES),
             Control("grad_exp_T", "exp_T", "list", tuple(learning_lab.EXP_LENGTHS), "Lengths T",
                     choices=EXP_LENGTH_CHOICES),
             Control("grad_exp_steps", "exp_steps", "choice", learning_lab.EXP_STEPS, "Training steps",
                     choices=EXP_STEP_CHOICES),
             Control("grad_exp_metric", "exp_metric", "choice", "accuracy", "Show", choices=("accuracy", "loss")),
             _sentence(),
         ), command="seqviz.commands.gradients", bench="seqviz.benchmarks.gradients", reads_sentence=True),
    Page("attention", "Attention explorer", "Transformer", ":material/visibility:", "attention",
         "seqviz.ui.attention",
         controls=(
             _sentence(),
             Control("attn_model", "model", "choice", None, "Model", hide="model picker"),
             Control("attn.beam", "beam", "number", 1, "Beam width", 1, 8, hide="beam width"),
             Control("attn.view", "view", "choice", ATTENTION_VIEWS[0], "View", choices=ATTENTION_VIEWS,
                     hide="view switcher"),
             Control("attn.kind", "kind", "choice", "cross", "Attention", choices=ATTENTION_KINDS,
                     hide="head pickers"),
             Control("attn.layer", "layer", "number", 0, "Layer", 0, 63, hide="head pickers"),
             Control("attn.head", "head", "number", 0, "Head", 0, 63, hide="head pickers"),
             Control("attn.anim_layer", "anim_layer", "number", ALL, "Layer (decoding)", ALL, 63),
             Control("attn.anim_head", "anim_head", "number", ALL, "Head (decoding)", ALL, 63),
             Control("attn.query", "query", "number", 1, "Query token", 0, 511),
             Control("attn.off_kind", "off_kind", "choice", "cross", "Switch off heads in",
                     choices=ATTENTION_KINDS),
             Control("attn.off", "off", "list", (), "Heads switched off"),
             Control("attn.cmp_kind", "cmp_kind", "choice", None, "Compare attention", choices=ATTENTION_KINDS),
             Control("attn.cmp_layer", "cmp_layer", "number", None, "Compare layer", 0, 63),
         ), bench="seqviz.benchmarks.attention", reads_sentence=True),
    Page("positional", "Positional encoding", "Transformer", ":material/waves:", "positional",
         "seqviz.ui.positional",
         controls=(
             Control("pos_d", "d", "number", 128, "d_model", positional_lab.D_MIN, positional_lab.D_MAX, step=2),
             Control("pos_L", "L", "number", 100, "Number of positions", positional_lab.L_MIN,
                     positional_lab.L_MAX),
             Control("pos_base", "base", "choice", 10000, "Base (log scale)", choices=POSITIONAL_BASES),
             Control("pos_layout", "layout", "choice", "interleaved", "Layout", choices=positional_lab.LAYOUTS,
                     hide="layout toggle"),
             Control("pos_rows", "rows", "choice", "average", "Downsample rows by",
                     choices=positional_lab.ROW_MODES, hide="row sampling"),
             Control("pos_p", "p", "number", 10, "Position p", 0, positional_lab.L_MAX - 1),
             Control("pos_k", "k", "number", 5, "Offset k", 0, positional_lab.L_MAX - 1),
             Control("pos_dims", "dims", "list", None, "Dimensions to trace", 0,
                     positional_lab.D_MAX - 1, max_items=positional_lab.MAX_DIMS),
             _sentence(),
             Control("pos_model", "model", "choice", None, "Model", hide="model picker"),
             Control("pos_seed", "shuffle", "number", 0, "Shuffle seed", 0, 9999),
             Control("pos_tab", "tab", "choice", POSITIONAL_TABS[0], "Formula tab", choices=POSITIONAL_TABS),
             Control("pos_model_view", "model_tab", "choice", POSITIONAL_MODEL_TABS[0], "Model tab",
                     choices=POSITIONAL_MODEL_TABS),
         ), command="seqviz.commands.positional", bench="seqviz.benchmarks.positional", reads_sentence=True),
    Page("compute", "RNN vs Transformer compute", "Transformer", ":material/speed:", "compute",
         "seqviz.ui.compute",
         controls=(
             Control("compute_lengths", "lengths", "list", compute_lab.DEFAULT_LENGTHS, "Sequence lengths n",
                     choices=compute_lab.LENGTH_CHOICES, hide="sweep settings"),
             Control("compute_threads", "threads", "list", compute_lab.default_threads(), "CPU threads", 1, MAX_THREADS,
                     hide="sweep settings"),
             Control("compute_reps", "reps", "number", 3, "Repetitions", 1, 9, hide="sweep settings"),
             Control("compute_batch", "batch", "choice", 1, "Batch", choices=COMPUTE_BATCHES,
                     hide="sweep settings"),
             Control("compute_budget", "budget", "flag", True, "Fit in the time budget", hide="sweep settings"),
             Control("compute_fresh", "fresh", "flag", False, "Measure again", hide="sweep settings"),
             Control("compute_mode", "mode", "choice", compute_lab.MODES[0], "Pass", choices=compute_lab.MODES,
                     hide="sweep settings"),
             Control("compute_shown", "shown", "number", None, "Threads shown", 1, MAX_THREADS),
             Control("compute_run_on_arrival", "run", "flag", False, "Run on arrival", mirror=False),
         ), command="seqviz.commands.compute", bench="seqviz.benchmarks.compute"),
    Page("training", "Training lab", "Training", ":material/model_training:", "training", "seqviz.ui.training",
         controls=(
             Control("train_part", "part", "choice", "live", "Part", choices=TRAINING_PARTS, hide="view switcher"),
             Control("train_task", "task", "choice", "reverse", "Task", choices=TRAINING_TASKS),
             Control("train_n", "n", "number", 8, "Sequence length n", *TRAINING_N),
             Control("train_k", "k", "number", 1, "Shift k", 1, TRAINING_N[1] - 1),
             Control("train_model", "model", "choice", "transformer", "Model", choices=training_lab.MODELS,
                     hide="model picker"),
             Control("train_layers", "layers", "number", 1, "Layers", *training_lab.LAYERS_RANGE),
             Control("train_heads", "heads", "choice", 2, "Heads", choices=training_lab.HEAD_CHOICES),
             Control("train_pe", "pe", "flag", True, "Positional encoding"),
             Control("train_d_model", "d_model", "choice", 64, "d_model", choices=training_lab.D_MODEL_CHOICES),
             Control("train_lr", "lr", "choice", 3e-3, "Learning rate", choices=training_lab.LR_CHOICES),
             Control("train_batch", "batch", "choice", 64, "Batch size", choices=training_lab.BATCH_CHOICES),
             Control("train_steps", "steps", "number", 400, "Steps", *training_lab.STEPS_RANGE, step=50),
             Control("train_seed", "seed", "number", 0, "Seed", *training_lab.SEED_RANGE, hide="advanced settings"),
             Control("train_replay_example", "example", "number", 0, "Example sentence", 0, 7),
             # The recorded run's steps and layers are known only once its record is read, so the page checks a
             # link's value against them (empty choices) and writes the link itself, leaving out its own default
             # (the last step, the example's sharpest layer), which the registry cannot know (mirror=False).
             Control("train_replay_step", "replay_step", "choice", None, "Training step (replay)", mirror=False),
             Control("train_replay_layer", "replay_layer", "choice", None, "Layer (replay)", mirror=False),
         ), command="seqviz.commands.playground", bench="seqviz.benchmarks.training"),
)

# Controls every page shares, read by app.py: the projector switch, and a teacher's switches for the lesson's
# questions (a link with ?questions=0 hides them, ?answers=0 hides the model's answers).
APP_CONTROLS: tuple[Control, ...] = (
    Control("projector", "projector", "flag", False, "Projector mode"),
    Control("lesson_questions", "questions", "flag", True, "Questions in the lesson steps"),  # ?questions=0
    Control("lesson_answers", "answers", "flag", True, "Model answers in the questions"),  # ?answers=0
)
RESERVED_URLS = ("step", "hide")  # read by the lesson bar and the trimmed links, not controls


def page(name: str) -> Page:
    """The page called `name` (its short name, or its url_path)."""
    for p in PAGES:
        if name in (p.name, p.url_path):
            return p
    raise KeyError(f"no page {name!r}; pages are {', '.join(p.name for p in PAGES)}")


def sections() -> dict[str, list[Page]]:
    """Pages grouped by section, in declaration order (the navigation's order)."""
    out: dict[str, list[Page]] = {}
    for p in PAGES:
        out.setdefault(p.section, []).append(p)
    return out
