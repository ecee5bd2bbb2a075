"""Training lab, live part: the controls, the run (a background thread per session, seqviz/labs/training_runner.py)
and the progress view, redrawn by a fragment twice a second while the run trains."""
from __future__ import annotations

import streamlit as st

from seqviz.figures import training as fig
from seqviz.labs import training_claims as claims
from seqviz.labs.training import (
    BATCH_CHOICES,
    D_MODEL_CHOICES,
    HEAD_CHOICES,
    LAYERS_RANGE,
    LR_CHOICES,
    MODEL_LABELS,
    MODELS,
    SEED_RANGE,
    STEPS_RANGE,
    LabConfig,
)
from seqviz.labs.training_runner import CORES, STATUS_TEXT, LiveRun, View
from seqviz.labs.training_tasks import IDEAL_NAMES, N_RANGE, TASKS, symbol_names
from seqviz.ui.charts import show_plotly

RUN, HISTORY = "train_run", "train_history"
# The controls' defaults (the registry's Control defaults say the same): reverse on 8 symbols, the tiny Transformer
_D = LabConfig()
DEFAULTS = {"train_task": _D.task, "train_n": _D.n, "train_k": _D.k, "train_model": _D.model,
            "train_layers": _D.n_layers, "train_heads": _D.n_heads, "train_pe": _D.pe, "train_d_model": _D.d_model,
            "train_lr": _D.lr, "train_batch": _D.batch_size, "train_steps": _D.steps, "train_seed": _D.seed}
ACTIVE = ("running", "waiting")
FINISHED = ("done", "stopped", "timeout", "left", "error")


def alive_check():
    """'Is this browser session still connected?', for the run's thread (always yes outside a server)."""
    try:
        from streamlit.runtime import Runtime
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        ctx = get_script_run_ctx()
        if ctx is None or not Runtime.exists():
            return None
        runtime, session = Runtime.instance(), ctx.session_id
        return lambda: runtime.is_active_session(session)
    except Exception:  # a Streamlit without these internals: fall back on the heartbeat alone
        return None


def controls() -> LabConfig | None:
    for key, value in DEFAULTS.items():  # after the registry's restore(): only what the link did not set
        st.session_state.setdefault(key, value)
    if st.session_state["train_k"] >= st.session_state["train_n"]:
        st.session_state["train_k"] = 1
    with st.sidebar:
        st.subheader("Task and model")
        task = st.selectbox("Task", TASKS, key="train_task")
        n = st.slider("Sequence length n", *N_RANGE, key="train_n")
        k = st.slider("Shift k", 1, n - 1, key="train_k") if task == "shift" else 1
        model = st.selectbox("Model", MODELS, format_func=lambda m: MODEL_LABELS[m].removeprefix("the "),
                             key="train_model")
        if model == "transformer":
            layers = st.slider("Layers", *LAYERS_RANGE, key="train_layers")
            heads = st.select_slider("Heads", HEAD_CHOICES, key="train_heads")
            pe = st.toggle("Positional encoding", key="train_pe")
        else:
            layers, heads, pe = st.session_state["train_layers"], st.session_state["train_heads"], True
        d_model = st.select_slider("d_model (the GRU's hidden size is twice this)", D_MODEL_CHOICES,
                                   key="train_d_model")
        st.subheader("Training")
        lr = st.select_slider("Learning rate", LR_CHOICES, key="train_lr")
        batch = st.select_slider("Batch size", BATCH_CHOICES, key="train_batch")
        steps = st.slider("Steps", *STEPS_RANGE, step=50, key="train_steps")
        seed = st.number_input("Seed", *SEED_RANGE, key="train_seed")
    try:
        return LabConfig(task=task, n=n, k=k, model=model, n_layers=layers, n_heads=heads, d_model=d_model, pe=pe,
                         lr=lr, batch_size=batch, steps=steps, seed=int(seed))
    except ValueError as error:
        st.error(f"{error}. Change the settings in the sidebar.", icon=":material/error:")
        return None


def _new_run(cfg: LabConfig) -> LiveRun:
    old = st.session_state.get(RUN)
    if old is not None:
        old.stop()
    run = LiveRun(cfg, alive=alive_check())
    st.session_state[RUN] = run
    return run


def buttons(run: LiveRun, cfg: LabConfig) -> None:
    """Callbacks, so the buttons are drawn with the state the click produced (a callback runs before the script)."""
    status = run.status
    # One row that wraps, each button as wide as its label: five equal columns cut "Resume" to "Res…" at
    # projector size in a 560 px column.
    row = st.container(horizontal=True, wrap=True)
    row.button("Start", icon=":material/play_arrow:", disabled=status != "ready", key="train_start",
               on_click=run.start)
    row.button("Pause", icon=":material/pause:", disabled=status not in ACTIVE, key="train_pause",
               on_click=run.pause)
    row.button("Resume", icon=":material/resume:", disabled=status != "paused", key="train_resume",
               on_click=run.resume)
    row.button("Step", icon=":material/skip_next:", help="One training step", key="train_step",
               disabled=status not in ("ready", "paused"), on_click=run.step_once)
    row.button("Reset", icon=":material/restart_alt:", key="train_reset", on_click=_new_run, args=(cfg,))


def show() -> None:
    st.markdown("A tiny model learns a toy task in front of you. The probe is one fixed input; its attention is "
                "drawn beside the pattern that solves the task. Press **Start**.")
    cfg = controls()
    if cfg is None:
        return
    run = st.session_state.get(RUN)
    if run is None or (run.status == "ready" and run.trainer.step == 0 and run.trainer.cfg != cfg):
        run = _new_run(cfg)
    elif run.trainer.cfg != cfg:
        st.info("The settings changed: press **Reset** to train with them.", icon=":material/info:")
    buttons(run, cfg)
    progress(st.session_state[RUN])


def _every() -> float | None:
    run = st.session_state.get(RUN)
    return 0.5 if run is not None and run.status in ACTIVE else None


def progress(run: LiveRun) -> None:
    @st.fragment(run_every=_every())
    def live() -> None:
        current = st.session_state.get(RUN)
        if current is None:
            return
        current.touch()  # the page is still showing this run: without this the run stops (page left)
        view = current.view()
        draw(view, current)
        if view.status in FINISHED and not st.session_state.get("train_drawn_final") == id(current):
            st.session_state["train_drawn_final"] = id(current)
            remember(current)
            st.rerun()  # the whole page: the polling stops and the animation appears

    live()


def remember(run: LiveRun) -> None:
    """Keep the finished run's summary for the comparison sentences (this session only)."""
    summary = claims.summarize(run.trainer)
    history = [s for s in st.session_state.get(HISTORY, []) if (s.model, s.pe, s.task, s.n) !=
               (summary.model, summary.pe, summary.task, summary.n)]
    st.session_state[HISTORY] = [*history, summary][-12:]


def draw(view: View, run: LiveRun) -> None:
    cfg = view.cfg
    text = STATUS_TEXT[view.status]
    if view.status == "waiting":
        st.warning(f"Waiting for a free core: at most {CORES} runs train at once on this server.",
                   icon=":material/hourglass_top:")
    st.progress(view.step / cfg.steps, text=f"step {view.step} of {cfg.steps}: {text}" +
                (f" ({view.error})" if view.error else ""))
    last = view.snapshots[-1]
    src, dec_in, writes = run.trainer.probe_tokens()
    show_plotly(fig.curves(view.loss, view.accuracy, [s.step for s in view.snapshots],
                           [s.eval_accuracy for s in view.snapshots], title="Loss and accuracy"), key="train_curves")
    cross = [(name, p) for name, p in last.patterns.items() if name in claims.cross_names_of(last.patterns)]
    ideal = run.trainer.ideal()
    st.markdown(claims.attention_claim(cfg.task, last.patterns, ideal, cfg.model))
    if cross:
        panels = [(_head_title(name, h), p[h]) for name, p in cross for h in range(len(p))]
        show_plotly(fig.heads_vs_ideal(panels, ideal, src, writes, title=f"Step {last.step}: cross-attention of "
                                       f"every head beside the ideal, {IDEAL_NAMES[cfg.task]}"), key="train_heads_fig")
    output = symbol_names(last.output) + (["</s>"] if len(last.output_probs) > len(last.output) else [])
    show_plotly(fig.probe_output(writes, output, last.output_probs, title=f"The probe's output at step {last.step}, "
                                 "token by token (green: right)"), key="train_probe")
    if view.status in FINISHED and cross and len(view.snapshots) > 1:
        name, head, _ = claims.head_alignment({n: p for n, p in cross}, ideal)[0]
        frames = [s.patterns[name][head] for s in view.snapshots]
        captions = [" ".join(symbol_names(s.output)) for s in view.snapshots]
        show_plotly(fig.attention_animation(frames, [s.step for s in view.snapshots], src, writes,
                                            captions, title=f"{_head_title(name, head)} across training"),
                    key="train_animation")
    comparisons(cfg)


def _head_title(name: str, head: int) -> str:
    return f"layer {name.split('.')[2]} head {head}" if name.startswith("decoder.layers.") else "GRU attention"


def comparisons(cfg: LabConfig) -> None:
    """The lesson's two sentences, once this session has the runs they compare."""
    history = [s for s in st.session_state.get(HISTORY, []) if (s.task, s.n) == (cfg.task, cfg.n)]
    sentences = []
    models = {s.model for s in history if s.pe}
    if "gru-plain" in models and models - {"gru-plain"}:
        sentences.append(claims.bottleneck_claim([s for s in history if s.pe]))
    on = next((s for s in history if s.model == "transformer" and s.pe), None)
    off = next((s for s in history if s.model == "transformer" and not s.pe), None)
    if on and off:
        sentences.append(claims.pe_claim(on, off))
    if sentences:
        st.success("  \n".join(sentences), icon=":material/school:")
    else:
        st.caption("Train reverse with n = 20 with each model, and the Transformer with positional encoding off: "
                   "the comparison appears here, from your runs' numbers.")
