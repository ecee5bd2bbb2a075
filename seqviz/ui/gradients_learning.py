"""The gradients lab's second room, what gradients do to learning: Pascanu's cliff with clipping, the live
recall experiment, and the shipped translation models' ‖∂L/∂h_t‖ (widgets -> labs.gradients_learning -> figures).
The page itself, its controls and the gradient-through-time views are in ui/gradients.py.
"""
from __future__ import annotations

import time

import streamlit as st

from seqviz.figures import gradients_learning as fig
from seqviz.figures import gradients_text as claims
from seqviz.figures.gradients_text import CELL_LABELS, COLORS, fmt_number
from seqviz.inputs import InputError
from seqviz.labs import gradients_learning as learning
from seqviz.pages import CLIP_RANGE, EXP_CHOICES, EXP_LENGTH_CHOICES, EXP_STEP_CHOICES
from seqviz.ui.charts import show_plotly
from seqviz.ui.models import available, load_model, no_checkpoints_message
from seqviz.ui.sentence import clip_input, shared_sentence
from seqviz.ui.tables import show_table
from seqviz.ui.text import as_text
from seqviz.ui.url_state import mirror

ICONS = {"success": ":material/check:", "info": ":material/info:", "warning": ":material/info:"}


# ---------------------------------------------------------------- cached computations

@st.cache_data(max_entries=4, show_spinner=False)
def cliff_surface() -> learning.Surface:
    return learning.cliff_surface(161)


@st.cache_data(max_entries=64, show_spinner=False)
def cliff_path(clip: float | None) -> learning.DescentPath:
    return learning.descent_path(*learning.CLIFF_START, learning.CLIFF_LR, learning.CLIFF_STEPS, clip)


@st.cache_data(max_entries=256, show_spinner=False)
def recall_run(cell: str, T: int, steps: int, seed: int) -> learning.RecallResult:
    return learning.train_recall(cell, T, steps=steps, seed=seed)


@st.cache_data(max_entries=64, show_spinner=False)
def trained_of(path: str, mtime: float, sentence: str, _loaded) -> learning.TrainedGradient:  # noqa: ARG001
    return learning.trained_gradient(_loaded.model, _loaded.tokenizer, sentence, _loaded.name)


# ---------------------------------------------------------------- 3. exploding, and clipping

def clip_slider() -> float:
    """The clipping threshold: one control (grad_clip, in the link), drawn beside the cliff on that part and in
    the sidebar on the others."""
    return st.slider("Gradient-clipping threshold (the largest allowed gradient norm)", *CLIP_RANGE, step=0.1,
                     key="grad_clip", help="The largest allowed norm of the parameter gradient (clip_grad_norm_).")


@st.fragment
def section_cliff() -> None:
    st.markdown("A single-unit RNN x_t = w·σ(x_(t−1)) + b, run for "
                f"{learning.CLIFF_T} steps from x_0 = {learning.CLIFF_X0}, with loss (x_T − {learning.CLIFF_TARGET})² "
                "(Pascanu et al. 2013, §3). Where the final state switches from one attractor to the other, the "
                "loss surface has a **cliff**: a wall whose gradient is enormous. Clipping rescales any gradient "
                "longer than the threshold to the threshold, so no step is longer than learning rate × threshold.")
    threshold = float(clip_slider())
    mirror("gradients", only=("clip",))  # a fragment rerun does not reach the page's own mirror
    surface = cliff_surface()
    free, clipped = cliff_path(None), cliff_path(threshold)
    paths = [{"name": "without clipping", "w": free.w, "b": free.b, "color": "#ff4136"},
             {"name": f"clipped at {threshold:g}", "w": clipped.w, "b": clipped.b, "color": "#ffffff"}]
    show_plotly(fig.cliff_figure(surface.w, surface.b, surface.loss, paths,
                                 title=f"The cliff: {learning.CLIFF_STEPS} steps of gradient descent (lr "
                                       f"{learning.CLIFF_LR:g}) from (w, b) = {learning.CLIFF_START}"),
                key="grad_cliff")
    jumps, clipped_jumps = free.step_lengths, clipped.step_lengths
    c1, c2, c3 = st.columns(3)
    c1.metric("Largest ‖∇L‖ on the path", fmt_number(float(free.grad_norm.max())))
    c2.metric("Largest step, not clipped", fmt_number(float(jumps.max()) if jumps.size else 0.0),
              help=f"at step {int(jumps.argmax()) if jumps.size else 0}")
    c3.metric("Largest step, clipped", fmt_number(float(clipped_jumps.max()) if clipped_jumps.size else 0.0),
              help=f"clipped at {threshold:g}: never more than learning rate × threshold")
    st.markdown(claims.clipping_claim(free.loss, clipped.loss, threshold, learning.CLIFF_LR,
                                    free_off_map=free.off_map()))
    st.caption("With ρ > 1 in the sidebar, the *Gradient through time* part shows the same explosion in a full RNN, "
               "inf and NaN marked where float32 overflows.")


# ---------------------------------------------------------------- 4. the live experiment

def _stop_experiment() -> None:
    st.session_state["grad_exp_running"] = False
    st.session_state["grad_exp_stopped"] = True


def _start_experiment() -> None:
    st.session_state["grad_exp_running"] = True
    st.session_state["grad_exp_stopped"] = False


def section_experiment(seed: int) -> None:
    symbols = learning.SYMBOLS
    seeds = learning.experiment_seeds(seed)
    st.markdown(f"**Recall the first symbol.** Each sequence starts with one of {symbols} symbols, then T random "
                f"distractors from another {symbols}; after the last one the model must name the first symbol. A "
                f"model that forgets can only guess: chance is 1 of {symbols} = "
                f"{100 * claims.chance_accuracy(symbols):.1f}% accuracy. Every model gets the same budget: Adam, "
                f"batch {learning.EXP_BATCH}, hidden size {learning.EXP_HIDDEN}, gradient clipping at 1, the same "
                "data stream; the gated cells start with the chrono initialisation (their keep gates' bias spans "
                "the task's length), and the Transformer is one encoder layer. Each model and length is trained "
                f"from {len(seeds)} seeds ({', '.join(map(str, seeds))}; the sidebar's seed is the first): one "
                "seed is noise, so the chart shows the mean and the lowest-to-highest seed.")
    c1, c2, c3 = st.columns([2, 2, 1])
    models = c1.multiselect("Models", EXP_CHOICES, key="grad_exp_models", format_func=CELL_LABELS.get)
    lengths = c2.multiselect("Lengths T", EXP_LENGTH_CHOICES, key="grad_exp_T")
    steps = int(c3.select_slider("Training steps", EXP_STEP_CHOICES, key="grad_exp_steps"))
    mirror("gradients", only=("exp_models", "exp_T", "exp_steps"))
    jobs = [(m, t, s) for t in sorted(lengths) for m in models for s in seeds]
    done: dict = st.session_state.setdefault("grad_exp_done", {})
    row = st.container(horizontal=True, wrap=True)  # each button as wide as its label ("Run …" in a fifth)
    row.button("Run experiment", icon=":material/play_arrow:", type="primary", key="grad_exp_run",
              on_click=_start_experiment, disabled=not jobs)
    row.button("Stop", icon=":material/stop:", key="grad_exp_stop", on_click=_stop_experiment)
    if st.session_state.get("grad_exp_running"):
        bar = st.progress(0.0, text="Starting…")
        start = time.perf_counter()
        for i, (m, t, s) in enumerate(jobs):
            bar.progress(i / len(jobs), text=f"Training {CELL_LABELS[m]} at T = {t}, seed {s} ({i + 1} of "
                                             f"{len(jobs)}); {time.perf_counter() - start:.0f} s so far")
            if (m, t, steps, s) not in done:
                done[(m, t, steps, s)] = recall_run(m, t, steps, s)
        bar.progress(1.0, text=f"Done: {len(jobs)} runs in {time.perf_counter() - start:.1f} s "
                               "(runs already done are cached)")
        st.session_state["grad_exp_running"] = False
    results = [done[(m, t, steps, s)] for m, t, s in jobs if (m, t, steps, s) in done]
    if st.session_state.get("grad_exp_stopped"):
        st.info(f"Stopped: {len(results)} of {len(jobs)} runs finished; press Run to continue where it stopped.",
                icon=":material/stop_circle:")
    if not results:
        if not st.session_state.get("grad_exp_stopped"):
            st.info(f"Press **Run experiment**: {len(jobs)} training runs ({len(models)} models × {len(lengths)} "
                    f"lengths × {len(seeds)} seeds), a few minutes on two CPU cores.", icon=":material/science:")
        return
    rows = [spread.as_row() for spread in learning.spreads(results)]
    metric = st.radio("Show", ("accuracy", "loss"), horizontal=True, key="grad_exp_metric",
                      format_func={"accuracy": "test accuracy", "loss": "test cross-entropy"}.get)
    baseline = claims.chance_accuracy(symbols) if metric == "accuracy" else results[0].chance_loss
    show_plotly(fig.recall_chart(rows, baseline, labels=CELL_LABELS, colors=COLORS, metric=metric,
                                 title=f"Recall after T distractors: {steps} training steps per model, "
                                       f"mean and range over {len(seeds)} seeds"),
                key="grad_exp_chart")
    px = st.column_config.Column  # widths that add up to less than a 560 px column: no column out of sight
    st.dataframe([{"model": CELL_LABELS[r.cell], "T": r.T, "seed": r.seed, "test accuracy": f"{100 * r.accuracy:.1f}%",
                   "test cross-entropy": f"{r.loss:.3f}", "training time": f"{r.seconds:.1f} s"}
                  for r in results], hide_index=True, height=min(38 + 35 * len(results), 420),
                 column_config={"model": px(width=100), "T": px(width=50), "seed": px(width=50),
                                "test accuracy": px(width=100), "test cross-entropy": px(width=130),
                                "training time": px(width=100)})
    verdict = claims.recall_verdict(rows, symbols, learning.EXP_EVAL, labels=CELL_LABELS)
    if verdict is not None:
        kind, sentence = verdict
        getattr(st, kind)(sentence, icon=ICONS[kind])


# ---------------------------------------------------------------- 5. the trained translation models

def section_trained() -> None:
    st.markdown("The same ‖∂L/∂h_t‖ for the shipped translation models: L is the negative log-likelihood of "
                "the model's own translation and h_t the encoder state at each source token, from one "
                "`torch.autograd.grad` call. In the attention models every h_t also reaches the loss directly "
                "through attention, so early tokens can keep their gradient; in `gru-plain` it has to travel "
                "through the recurrence, like the toy cells. Under the table: whether it does on this sentence.")
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
    ratios: dict[str, float] = {}
    attends: dict[str, bool] = {}
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
        ratios[tg.model], attends[tg.model] = tg.first_to_last, bool(tg.attention)
        rows.append({"model": tg.model, "cell": tg.cell, "attention": "yes" if tg.attention else "no",
                     "translation": tg.translation, "loss (nats)": f"{tg.loss:.3f}",
                     "‖∂L/∂h_0‖ / ‖∂L/∂h_last‖": fmt_number(tg.first_to_last)})
    if not curves:
        return
    colors = {name: claims.model_color(name, row["cell"]) for name, row in zip(curves, rows, strict=True)}
    show_plotly(fig.trained_curves(tokens, curves, colors=colors,
                                   title="Trained translation models: ‖∂L/∂h_t‖ over the source tokens"),
                key="grad_trained")
    show_table(rows, key="grad_trained_table")  # a long translation wraps; a data grid cut it at the edge
    st.markdown(claims.trained_claim(ratios, attends, len(tokens)))
    st.caption(f"Sentence: {as_text(text)}")
