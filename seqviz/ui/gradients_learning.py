"""The gradients lab's second room, what gradients do to learning: Pascanu's cliff with clipping, the live
recall experiment, and the shipped translation models' ‖∂L/∂h_t‖ (widgets -> labs.gradients_learning -> figures).
The page itself, its controls and the gradient-through-time views are in ui/gradients.py.
"""
from __future__ import annotations

import math
import time

import numpy as np
import streamlit as st

from seqviz.figures import gradients as fig
from seqviz.inputs import InputError
from seqviz.labs import gradients as lab
from seqviz.labs import gradients_learning as learning
from seqviz.pages import CLIP_RANGE, EXP_CHOICES, EXP_LENGTH_CHOICES, EXP_STEP_CHOICES
from seqviz.ui.charts import show_plotly
from seqviz.ui.models import available, load_model, no_checkpoints_message
from seqviz.ui.sentence import clip_input, shared_sentence
from seqviz.ui.text import as_text
from seqviz.ui.url_state import mirror

COLORS = {name: fig._color(key) for name, key in lab.COLOR_KEYS.items()}


def fmt(x: float) -> str:
    if x is None:
        return "—"
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "−inf"
    return f"{x:.3g}"



# ---------------------------------------------------------------- cached computations

@st.cache_data(max_entries=4, show_spinner=False)
def cliff_surface() -> learning.Surface:
    return learning.cliff_surface(161)


@st.cache_data(max_entries=64, show_spinner=False)
def cliff_path(clip: float | None) -> learning.Path:
    return learning.descent_path(*learning.CLIFF_START, learning.CLIFF_LR, learning.CLIFF_STEPS, clip)


@st.cache_data(max_entries=256, show_spinner=False)
def recall_run(cell: str, T: int, steps: int, seed: int) -> learning.RecallResult:
    return learning.train_recall(cell, T, steps=steps, seed=seed)


@st.cache_data(max_entries=64, show_spinner=False)
def trained_of(path: str, mtime: float, sentence: str, _loaded) -> learning.TrainedGradient:  # noqa: ARG001
    return learning.trained_gradient(_loaded.model, _loaded.tokenizer, sentence, _loaded.name)


# ---------------------------------------------------------------- 3. exploding, and clipping

@st.fragment
def section_cliff(clip: float) -> None:
    st.markdown("A single-unit RNN x_t = w·σ(x_(t−1)) + b, run for "
                f"{learning.CLIFF_T} steps from x_0 = {learning.CLIFF_X0}, with loss (x_T − {learning.CLIFF_TARGET})² "
                "(Pascanu et al. 2013, §3). Where the final state switches from one attractor to the other, the "
                "loss surface has a **cliff**: a wall whose gradient is enormous. Gradient descent that walks "
                "onto it is thrown across the map; clipping the gradient's norm keeps the step small.")
    threshold = st.slider("Clipping threshold (the largest allowed gradient norm)", *CLIP_RANGE, step=0.1,
                          key="grad_cliff_clip", value=float(clip))
    surface = cliff_surface()
    free, clipped = cliff_path(None), cliff_path(float(threshold))
    paths = [{"name": "without clipping", "w": free.w, "b": free.b, "color": "#ff4136"},
             {"name": f"clipped at {threshold:g}", "w": clipped.w, "b": clipped.b, "color": "#ffffff"}]
    show_plotly(fig.cliff_figure(surface.w, surface.b, surface.loss, paths,
                                 title=f"The cliff: {learning.CLIFF_STEPS} steps of gradient descent (lr "
                                       f"{learning.CLIFF_LR:g}) from (w, b) = {learning.CLIFF_START}"),
                key="grad_cliff")
    jump = np.hypot(np.diff(free.w), np.diff(free.b))
    k = int(jump.argmax()) if jump.size else 0
    c1, c2, c3 = st.columns(3)
    c1.metric("Largest ‖∇L‖ on the path", fmt(float(free.grad_norm.max())))
    c2.metric("Largest step, not clipped", fmt(float(jump.max()) if jump.size else 0.0),
              help=f"at step {k}")
    c3.metric("Largest step, clipped",
              fmt(float(np.hypot(np.diff(clipped.w), np.diff(clipped.b)).max())),
              help=f"clipped at {threshold:g}: never more than learning rate × threshold")
    st.caption(f"Final loss: {fmt(float(free.loss[-1]))} without clipping, {fmt(float(clipped.loss[-1]))} "
               f"clipped. With ρ > 1 in the sidebar, the *Gradient through time* part shows the same explosion "
               f"in a full RNN, inf and NaN marked where float32 overflows.")


# ---------------------------------------------------------------- 4. the live experiment

def _stop_experiment() -> None:
    st.session_state["grad_exp_running"] = False
    st.session_state["grad_exp_stopped"] = True


def _start_experiment() -> None:
    st.session_state["grad_exp_running"] = True
    st.session_state["grad_exp_stopped"] = False


def section_experiment(seed: int) -> None:
    st.markdown(f"**Recall the first symbol.** Each sequence starts with one of {learning.SYMBOLS} symbols, then T "
                f"random distractors from another {learning.SYMBOLS}; after the last one the model must name the first "
                f"symbol. A model that forgets can only guess: chance is {100 / learning.SYMBOLS:.1f}% accuracy, "
                f"a cross-entropy of log {learning.SYMBOLS} = {math.log(learning.SYMBOLS):.2f} nats. "
                "Every model gets the same "
                f"budget: Adam, batch {learning.EXP_BATCH}, hidden size {learning.EXP_HIDDEN}, gradient clipping at 1, "
                "the same data stream; the gated cells start with the chrono initialisation (their keep gates' "
                "bias spans the task's length), and the Transformer is one encoder layer.")
    c1, c2, c3 = st.columns([2, 2, 1])
    models = c1.multiselect("Models", EXP_CHOICES, key="grad_exp_models", format_func=lab.CELL_LABELS.get)
    lengths = c2.multiselect("Lengths T", EXP_LENGTH_CHOICES, key="grad_exp_T")
    steps = c3.select_slider("Training steps", EXP_STEP_CHOICES, key="grad_exp_steps")
    mirror("gradients", only=("exp_models", "exp_T", "exp_steps"))
    jobs = [(m, t) for t in sorted(lengths) for m in models]
    done: dict = st.session_state.setdefault("grad_exp_done", {})
    b1, b2, _ = st.columns([1, 1, 3])
    b1.button("Run experiment", icon=":material/play_arrow:", type="primary", key="grad_exp_run",
              on_click=_start_experiment, disabled=not jobs)
    b2.button("Stop", icon=":material/stop:", key="grad_exp_stop", on_click=_stop_experiment)
    if st.session_state.get("grad_exp_running"):
        bar = st.progress(0.0, text="Starting…")
        start = time.perf_counter()
        for i, (m, t) in enumerate(jobs):
            key = (m, t, int(steps), int(seed))
            bar.progress(i / len(jobs), text=f"Training {lab.CELL_LABELS[m]} at T = {t} ({i + 1} of {len(jobs)}); "
                                             f"{time.perf_counter() - start:.0f} s so far")
            if key not in done:
                done[key] = recall_run(m, t, int(steps), int(seed))
        bar.progress(1.0, text=f"Done: {len(jobs)} runs in {time.perf_counter() - start:.1f} s "
                               "(runs already done are cached)")
        st.session_state["grad_exp_running"] = False
    results = [done[(m, t, int(steps), int(seed))] for m, t in jobs if (m, t, int(steps), int(seed)) in done]
    if st.session_state.get("grad_exp_stopped"):
        st.info(f"Stopped: {len(results)} of {len(jobs)} runs finished; press Run to continue where it stopped.",
                icon=":material/stop_circle:")
    if not results:
        if not st.session_state.get("grad_exp_stopped"):
            st.info(f"Press **Run experiment**: the default sweep ({len(learning.EXP_CELLS)} models × "
                    f"{len(learning.EXP_LENGTHS)} lengths) takes well under a minute on two CPU cores.",
                    icon=":material/science:")
        return
    rows = [{"cell": r.cell, "T": r.T, "accuracy": r.accuracy, "loss": r.loss} for r in results]
    metric = st.radio("Show", ("accuracy", "loss"), horizontal=True, key="grad_exp_metric",
                      format_func={"accuracy": "test accuracy", "loss": "test cross-entropy"}.get)
    chance = 1 / learning.SYMBOLS if metric == "accuracy" else math.log(learning.SYMBOLS)
    show_plotly(fig.recall_chart(rows, chance, labels=lab.CELL_LABELS, colors=COLORS, metric=metric,
                                 title=f"Recall after T distractors: {steps} training steps per model"),
                key="grad_exp_chart")
    st.dataframe([{"model": lab.CELL_LABELS[r.cell], "T": r.T, "test accuracy": f"{100 * r.accuracy:.1f}%",
                   "test cross-entropy": f"{r.loss:.3f}", "training time": f"{r.seconds:.1f} s"}
                  for r in results], hide_index=True, width="stretch", height=38 + 35 * len(results))
    verdict(results)


def verdict(results: list[learning.RecallResult]) -> None:
    """Say what the numbers show, including when they do not show the expected effect."""
    longest = max(r.T for r in results)
    at = {r.cell: r for r in results if r.T == longest}
    chance = 100 / learning.SYMBOLS
    rnn = at.get("rnn") or at.get("rnn-relu")
    gated = [at[c] for c in ("lstm", "gru") if c in at]
    if rnn is None or not gated:
        return
    gated_text = ", ".join(f"{lab.CELL_LABELS[g.cell]} {100 * g.accuracy:.0f}%" for g in gated)
    near_chance = rnn.accuracy * 100 < chance + 10
    gated_win = all(g.accuracy > rnn.accuracy + 0.2 for g in gated)
    text = (f"At T = {longest}: {lab.CELL_LABELS[rnn.cell]} {100 * rnn.accuracy:.0f}% (chance {chance:.1f}%), "
            f"{gated_text}.")
    if near_chance and gated_win:
        st.success(text + " The vanilla RNN is stuck at the memoryless baseline while the gated cells remember: "
                   "its gradient from the answer back to the first symbol has vanished.", icon=":material/check:")
    elif gated_win:
        st.warning(text + f" The vanilla RNN is far below the gated cells but not at chance: its test loss is "
                   f"{rnn.loss:.2f} nats (memoryless {rnn.chance_loss:.2f}, gated "
                   f"{min(g.loss for g in gated):.2f}), and "
                   f"{100 * rnn.accuracy:.0f}% is about what keeping one bit of the symbol gives (2 of "
                   f"{learning.SYMBOLS} = {200 / learning.SYMBOLS:.0f}%): a saturated tanh unit can latch one bit, "
                   "but not the whole symbol, within this budget.", icon=":material/info:")
    else:
        st.warning(text + " In this run the budget does not separate the cells; the numbers above are what "
                   "was measured. Try more training steps or another seed.", icon=":material/info:")


# ---------------------------------------------------------------- 5. the trained translation models

def section_trained() -> None:
    st.markdown("The same ‖∂L/∂h_t‖ for the shipped translation models: L is the negative log-likelihood of "
                "the model's own translation and h_t the encoder state at each source token, from one "
                "`torch.autograd.grad` call. In the attention models every h_t also reaches the loss directly "
                "through attention, so early tokens keep their gradient; in `gru-plain` it has to travel "
                "through the recurrence, like the toy cells.")
    sentence = shared_sentence("grad_sentence", label="English sentence")
    paths = available("rnn")
    if not paths:
        no_checkpoints_message()
        return
    text = clip_input(sentence)
    if not text.strip():
        st.info("Type an English sentence above.", icon=":material/edit:")
        return
    curves, tokens, rows = {}, None, []
    for path in paths:
        loaded = load_model(path)
        if loaded is None:
            continue
        try:
            tg = trained_of(str(path), path.stat().st_mtime, text, loaded)
        except InputError as e:
            st.warning(f"{e} Try a short sentence such as “the cat is sleeping”.", icon=":material/warning:")
            return
        if tokens is None:
            tokens = tg.src_tokens
        if tg.src_tokens != tokens:
            continue
        curves[tg.model] = tg.grad_norms
        rows.append({"model": tg.model, "cell": tg.cell, "attention": "yes" if tg.attention else "no",
                     "translation": tg.translation, "loss (nats)": f"{tg.loss:.3f}",
                     "‖∂L/∂h_0‖ / ‖∂L/∂h_last‖": fmt(float(tg.grad_norms[0] / tg.grad_norms[-1]))
                     if tg.grad_norms[-1] > 0 else "—"})
    if not curves:
        return
    colors = {name: COLORS.get(lab.cell_name(row["cell"]), "#444444") for name, row in
              zip(curves, rows, strict=True)}
    for name in curves:
        if "plain" in name:
            colors[name] = "#17becf"
    show_plotly(fig.trained_curves(tokens, curves, colors=colors,
                                   title="Trained translation models: ‖∂L/∂h_t‖ over the source tokens"),
                key="grad_trained")
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption(f"Sentence: {as_text(text)}")
