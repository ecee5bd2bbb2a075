"""Gradients lab: vanishing and exploding gradients through time, measured with autograd (widgets -> lab -> figures)."""
from __future__ import annotations

import math
import time

import numpy as np
import streamlit as st

from seqviz.figures import gradients as fig
from seqviz.inputs import InputError
from seqviz.labs import gradients as lab
from seqviz.labs import gradients_learning as learning
from seqviz.ui.common import (
    as_text,
    available,
    clip_input,
    load_model,
    mirror_to_url,
    no_checkpoints_message,
    shared_sentence,
    show_plotly,
    url_choice,
    url_number,
)

SECTIONS = {"time": "Gradient through time", "cliff": "Exploding and clipping", "experiment": "Live experiment",
            "trained": "Trained translation models"}
VIEWS = {"curves": "Curves and bound", "connectivity": "Connectivity", "flow": "Flow animation",
         "lstm": "LSTM cell state and gates"}
DEFAULT_CELLS = ("rnn", "lstm", "gru")
GUESSES = (0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0, 1.01, 1.05, 1.1, 1.5, 2.0)
EXP_CHOICES = ("rnn", "rnn-relu", "lstm", "gru", "transformer")
EXP_LENGTH_CHOICES = (5, 10, 20, 50, 100, 150, 200, 300)
EXP_STEP_CHOICES = (100, 200, 300, 500)
COLORS = {name: fig._color(key) for name, key in lab.COLOR_KEYS.items()}
CLIP_RANGE = (0.1, 20.0)

st.title("Vanishing and exploding gradients")
st.caption("Real autograd through unrolled RNN, LSTM and GRU cells: every ‖∂L/∂h_t‖ comes from **one** backward "
           "pass, and the theory's bound is drawn on the same axes. Move ρ, the spectral radius of W_hh, "
           "and watch the gradient vanish (ρ < 1) or explode (ρ > 1).")


# ---------------------------------------------------------------- controls (restored from the URL once)

def _restore_from_url() -> list[str]:
    """Seed every control's session-state key from the link on the first run; return the clamping notices."""
    notices: list[str] = []
    if st.session_state.get("grad_restored"):
        return notices
    raw = st.query_params.get("cell")
    cells: list[str] = []
    if raw:
        for part in raw.split(","):
            try:
                name = lab.canonical_cell(part)
            except ValueError:
                notices.append(f"`cell={part[:30]}` in the link is not one of {', '.join(lab.CELL_CHOICES)}; "
                               "it was left out.")
                continue
            if name not in cells:
                cells.append(name)
    s = st.session_state
    s["grad_cells"] = cells or list(DEFAULT_CELLS)
    s["grad_T"] = url_number("T", 100, *lab.T_RANGE, cast=int, notices=notices)
    s["grad_hidden"] = url_number("hidden", 32, *lab.HIDDEN_RANGE, cast=int, notices=notices)
    s["grad_rho"] = round(url_number("rho", 1.0, *lab.RHO_RANGE, cast=float, notices=notices), 2)
    s["grad_init"] = url_choice("init", "orthogonal", lab.INITS, notices=notices)
    s["grad_fbias"] = round(url_number("forget_bias", 1.0, -5.0, 10.0, cast=float, notices=notices), 1)
    s["grad_loss"] = url_choice("loss", "last", lab.LOSSES, notices=notices)
    s["grad_xscale"] = round(url_number("input_scale", 1.0, 0.0, 5.0, cast=float, notices=notices), 1)
    s["grad_seed"] = url_number("seed", 0, 0, 9999, cast=int, notices=notices)
    s["grad_clip"] = round(url_number("clip", 1.0, *CLIP_RANGE, cast=float, notices=notices), 1)
    s["grad_section"] = url_choice("section", "time", tuple(SECTIONS), notices=notices)
    s["grad_view"] = url_choice("view", "curves", tuple(VIEWS), notices=notices)
    s["grad_exp_models"] = _url_list("exp_models", EXP_CHOICES, list(learning.EXP_CELLS), notices)
    s["grad_exp_T"] = [int(v) for v in _url_list("exp_T", tuple(map(str, EXP_LENGTH_CHOICES)),
                                                  [str(v) for v in learning.EXP_LENGTHS], notices)]
    s["grad_exp_steps"] = int(url_choice("exp_steps", str(learning.EXP_STEPS), tuple(map(str, EXP_STEP_CHOICES)),
                                         notices=notices))
    s["grad_restored"] = True
    return notices


def _url_list(name: str, choices: tuple[str, ...], default: list[str], notices: list[str]) -> list[str]:
    """?name=a,b as a list of known choices; unknown entries are left out with a notice."""
    raw = st.query_params.get(name)
    if not raw:
        return default
    keep, bad = [], []
    for part in raw.split(","):
        (keep if part in choices and part not in keep else bad).append(part)
    if bad:
        notices.append(f"`{name}`: {', '.join(b[:20] for b in bad)} left out; choose from {', '.join(choices)}.")
    return keep or default


notices = _restore_from_url()
with st.sidebar:
    st.subheader("Controls")
    cells = st.multiselect("Cells to compare", lab.CELL_CHOICES, key="grad_cells",
                           format_func=lambda c: lab.CELL_LABELS[c],
                           help="Overlaid on every plot. ‘RNN’ is h_t = f(W_hh h_{t−1} + W_ih x_t + b).")
    T = st.slider("Sequence length T", *lab.T_RANGE, key="grad_T")
    hidden = st.slider("Hidden size", *lab.HIDDEN_RANGE, key="grad_hidden")
    rho = st.slider("Spectral radius ρ of W_hh", *lab.RHO_RANGE, step=0.01, key="grad_rho",
                    help="W_hh is rescaled so that its largest |eigenvalue| is exactly ρ "
                         "(each gate block of a gated cell on its own).")
    init = st.radio("Initialisation of W_hh", lab.INITS, key="grad_init", horizontal=True,
                    help="Orthogonal: every singular value equals ρ. Gaussian: the largest singular value "
                         "σ_max is larger than ρ.")
    fbias = st.slider("LSTM forget-gate bias", -5.0, 10.0, step=0.5, key="grad_fbias",
                      help="The effective bias b_if + b_hf, counted once (PyTorch stores two bias vectors).")
    loss_where = st.radio("Where the loss sits", lab.LOSSES, key="grad_loss", horizontal=True,
                          format_func=lambda v: {"last": "last step", "all": "every step"}[v])
    xscale = st.slider("Input scale", 0.0, 5.0, step=0.1, key="grad_xscale",
                       help="x_t ~ scale · N(0, 1). Large inputs saturate tanh and the gates.")
    seed = st.number_input("Seed", 0, 9999, step=1, key="grad_seed")
    clip = st.slider("Gradient-clipping threshold", *CLIP_RANGE, step=0.1, key="grad_clip",
                     help="The largest allowed norm of the parameter gradient (clip_grad_norm_).")
for message in notices:
    st.info(message, icon=":material/tune:")

section = st.segmented_control("Part", list(SECTIONS), key="grad_section", format_func=SECTIONS.get,
                               label_visibility="collapsed") or "time"
mirror_to_url(cell=",".join(cells), T=T, hidden=hidden, rho=f"{rho:g}", init=init, forget_bias=f"{fbias:g}",
              loss=loss_where, input_scale=f"{xscale:g}", seed=int(seed), clip=f"{clip:g}", section=section)
setup = lab.Setup(T=int(T), hidden=int(hidden), rho=float(rho), init=init, forget_bias=float(fbias),
                  loss=loss_where, input_scale=float(xscale), seed=int(seed))


# ---------------------------------------------------------------- cached computations

@st.cache_data(max_entries=64, show_spinner=False)
def gradients_of(cell: str, setup: lab.Setup) -> lab.GradResult:
    return lab.gradient_through_time(cell, setup)


@st.cache_data(max_entries=32, show_spinner=False)
def connectivity_of(cell: str, setup: lab.Setup) -> np.ndarray:
    return lab.connectivity(cell, setup)


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


def fmt(x: float) -> str:
    if x is None:
        return "—"
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "−inf"
    return f"{x:.3g}"


# ---------------------------------------------------------------- 1. gradient through time

def results_for(cells: list[str]) -> dict[str, lab.GradResult]:
    return {c: gradients_of(c, setup) for c in cells}


def show_summary(results: dict[str, lab.GradResult]) -> None:
    rows = []
    for c, r in results.items():
        rate = r.slope_per_step()
        rows.append({"cell": lab.CELL_LABELS[c], "ρ (max |eigenvalue|)": f"{r.rho:.4f}",
                     "σ_max (bound uses)": f"{r.sigma_max:.4f}",
                     "‖∂L/∂h_0‖": fmt(float(r.grad_norms[0])), "‖∂L/∂h_{T−1}‖": fmt(float(r.grad_norms[-1])),
                     "measured factor per step back": fmt(rate) if rate is not None else "—",
                     "non-finite steps": r.nonfinite,
                     "‖∂L/∂θ‖": fmt(r.param_grad_norm), f"after clipping at {clip:g}": fmt(r.clipped_norm(clip))})
    st.dataframe(rows, hide_index=True, width="stretch")
    bad = [lab.CELL_LABELS[c] for c, r in results.items() if r.nonfinite]
    if bad:
        st.warning(f"{', '.join(bad)}: the gradient overflowed float32 (inf or NaN at some steps). That is what "
                   "ρ > 1 does to a long sequence: the norms are marked at the top of the plot, not hidden. "
                   "Clipping rescales the parameter gradient but cannot repair a NaN.", icon=":material/warning:")


@st.fragment
def curves_view(results: dict[str, lab.GradResult]) -> None:
    predict = st.toggle("Predict, then reveal", key="grad_predict",
                        help="Hide the measurement until you have placed a guess for the slope.")
    guess = None
    revealed = True
    if predict:
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        guess = c1.select_slider("Your guess: the gradient is multiplied by … per step back in time", GUESSES,
                                 value=1.0, key="grad_guess")
        stamp = (setup, tuple(results))
        if c2.button("Reveal", icon=":material/visibility:", key="grad_reveal", type="primary"):
            st.session_state["grad_revealed_for"] = stamp
        revealed = st.session_state.get("grad_revealed_for") == stamp
        if not revealed:
            st.info("Place your guess (the grey line), then press **Reveal**. Hint: for a linear RNN with "
                    "orthogonal W_hh the answer is exactly ρ.", icon=":material/psychology:")
    show_bound = loss_where == "last"
    figure = fig.gradient_curves(
        {c: r.grad_norms for c, r in results.items()}, labels=lab.CELL_LABELS, colors=COLORS,
        log10_bounds={c: r.log10_bound for c, r in results.items() if r.log10_bound is not None} if show_bound
        else None,
        log10_exact={c: r.log10_exact for c, r in results.items() if r.log10_exact is not None} if show_bound
        else None,
        guess_rate=guess, reveal=revealed,
        title=f"‖∂L/∂h_t‖ through time, T = {T}, ρ = {rho:g}, loss on the "
              f"{'last step' if loss_where == 'last' else 'every step'}")
    show_plotly(figure, key="grad_curves")
    if predict and revealed and guess is not None:
        lines = [f"{lab.CELL_LABELS[c]}: measured ×{fmt(r.slope_per_step())} per step back"
                 for c, r in results.items() if r.slope_per_step() is not None]
        st.success(f"Your guess: ×{guess:g} per step back. " + "; ".join(lines) + ".", icon=":material/check:")
    if show_bound:
        st.markdown("**How to read it.** The solid line is measured. The dashed line of the same colour is "
                    "Pascanu, Mikolov & Bengio's bound (2013, §2.1): ‖∂L/∂h_t‖ ≤ (γ·σ_max)^(T−1−t)·"
                    "‖∂L/∂h_{T−1}‖, with γ = 1 for tanh and ReLU; the measurement never crosses it. For the linear "
                    "RNN the dotted line ρ^(T−1−t) has slope log ρ: exact with orthogonal W_hh. Gated cells have "
                    "no such bound, and their curves flatten because the gates learn nothing here — they start "
                    "half open.")
    else:
        st.markdown("With the loss on **every** step, each h_t also gets a direct gradient from its own loss "
                    "term, so the curve no longer falls to zero; the bound is drawn for the last-step loss only.")


@st.fragment
def connectivity_view(results: dict[str, lab.GradResult]) -> None:
    choice = st.selectbox("Cell", list(results), format_func=lab.CELL_LABELS.get, key="grad_conn_cell")
    m = connectivity_of(choice, setup)
    n = m.shape[0]
    left, right = st.columns([2, 1])
    with left:
        show_plotly(fig.connectivity_heatmap(m, label=lab.CELL_LABELS[choice],
                                             title=f"{lab.CELL_LABELS[choice]}: ‖∂h_t′/∂x_t‖, first {n} steps"),
                    key="grad_connectivity")
    with right:
        st.markdown(f"""**Reading guide**

- A **row** t′ is one hidden state h_t′: how strongly each earlier input x_t still moves it. Read it from the
  diagonal leftwards to see how far back the state remembers.
- A **column** t is one input x_t: how long its influence lasts in later states. Read it downwards.
- The **upper triangle** (grey) is exactly zero: h_t′ cannot depend on an input that comes later
  (causality). Here {int((m[np.triu_indices(n, 1)] == 0).sum())} of {n * (n - 1) // 2} cells above the diagonal are
  exactly 0.
- Colours are log10 of the norm: a fast fade left of the diagonal is a vanishing memory.
""")
        if n < T:
            st.caption(f"The heatmap covers the first {n} of T = {T} steps (forward-mode autograd, one pass).")


@st.fragment
def flow_view(results: dict[str, lab.GradResult]) -> None:
    frames = st.slider("Frames (one per group of steps)", 10, fig.MAX_FRAMES, 40, step=5, key="grad_frames")
    show_plotly(fig.flow_animation({c: r.grad_norms for c, r in results.items()}, labels=lab.CELL_LABELS,
                                   colors=COLORS, frames=frames,
                                   title="The gradient flowing back from the loss: press Play"),
                key="grad_flow")
    st.caption("Each frame reveals another group of steps, from the loss at t = T−1 back to t = 0. "
               "The axes stay fixed, so a curve that drops off the bottom has vanished.")


def lstm_view() -> None:
    r = gradients_of("lstm", setup)
    left, right = st.columns(2)
    with left:
        show_plotly(fig.lstm_state_gradients(r.grad_norms, r.cell_grad_norms,
                                             title=f"LSTM: hidden-state and cell-state gradients "
                                                   f"(forget bias {fbias:g})"), key="grad_lstm_state")
    with right:
        show_plotly(fig.saturation_bars(r.saturation, title="How often each gate is saturated"),
                    key="grad_lstm_sat")
    f_low, f_high = r.saturation["f"]
    st.markdown(f"The cell state C_t = f⊙C_(t−1) + i⊙g carries the gradient through the forget gate alone. "
                f"With forget bias {fbias:g}, f is above 0.9 at {100 * f_high:.0f}% and below 0.1 at "
                f"{100 * f_low:.0f}% of steps × units: raise the bias and ‖∂L/∂C_t‖ decays more slowly.")


def section_time() -> None:
    if not cells:
        st.info("Choose at least one cell in the sidebar.", icon=":material/info:")
        return
    start = time.perf_counter()
    results = results_for(cells)
    st.session_state["grad_compute_ms"] = (time.perf_counter() - start) * 1000
    view = st.segmented_control("View", list(VIEWS), key="grad_view", format_func=VIEWS.get,
                                label_visibility="collapsed") or "curves"
    mirror_to_url(view=view)
    if view == "curves":
        curves_view(results)
    elif view == "connectivity":
        connectivity_view(results)
    elif view == "flow":
        flow_view(results)
    elif "lstm" not in results:
        st.info("Add the LSTM to the cells in the sidebar to see its cell state and gates.", icon=":material/info:")
    else:
        lstm_view()
    show_summary(results)


# ---------------------------------------------------------------- 3. exploding, and clipping

@st.fragment
def section_cliff() -> None:
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


def section_experiment() -> None:
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
    mirror_to_url(exp_models=",".join(models), exp_T=",".join(map(str, sorted(lengths))), exp_steps=steps)
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


{"time": section_time, "cliff": section_cliff, "experiment": section_experiment,
 "trained": section_trained}[section]()
