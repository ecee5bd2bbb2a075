"""Gradients lab: vanishing and exploding gradients through time, measured with autograd (widgets -> lab -> figures)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import streamlit as st

from seqviz.figures import gradients as fig
from seqviz.figures import gradients_text as claims
from seqviz.figures.gradients_text import CELL_LABELS, COLORS, fmt_number
from seqviz.labs import gradients as lab
from seqviz.pages import FLOW_FRAMES
from seqviz.pages import GRADIENT_SECTIONS as SECTIONS
from seqviz.pages import GRADIENT_VIEWS as VIEWS
from seqviz.ui.charts import show_built
from seqviz.ui.gradients_learning import clip_slider, section_cliff, section_experiment, section_trained
from seqviz.ui.tables import show_table
from seqviz.ui.url_state import mirror, restore

RAISE_BIAS = 2.0  # the LSTM view compares the forget bias with this much more
GUESSES = (0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0, 1.01, 1.05, 1.1, 1.5, 2.0)

st.title("Vanishing and exploding gradients")
st.caption("Real autograd through unrolled RNN, LSTM and GRU cells: every ‖∂L/∂h_t‖ comes from **one** backward "
           "pass, and the theory's bound is drawn on the same axes. Move ρ, the spectral radius of W_hh, "
           "and watch the gradient vanish (ρ < 1) or explode (ρ > 1).")


# ---------------------------------------------------------------- controls (restored from the link)

restore("gradients")  # every control from a pasted link, clamped with a message
with st.sidebar:
    st.subheader("Controls")
    cells = st.multiselect("Cells to compare", lab.CELL_CHOICES, key="grad_cells",
                           format_func=CELL_LABELS.get,
                           help="Overlaid on every plot. The tanh, ReLU and linear RNNs are "
                                "h_t = f(W_hh h_{t−1} + W_ih x_t + b) with f = tanh, ReLU or the identity.")
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
    on_cliff = st.session_state.get("grad_section") == "cliff"
    clip = st.session_state["grad_clip"] if on_cliff else clip_slider()  # beside the cliff on that part

section = st.segmented_control("Part", list(SECTIONS), key="grad_section", format_func=SECTIONS.get,
                               label_visibility="collapsed") or "time"
setup = lab.Setup(T=int(T), hidden=int(hidden), rho=float(rho), init=init, forget_bias=float(fbias),
                  loss=loss_where, input_scale=float(xscale), seed=int(seed))


# ---------------------------------------------------------------- cached computations

@st.cache_data(max_entries=64, ttl="2h", show_spinner=False)
def gradients_of(cell: str, setup: lab.Setup) -> lab.GradResult:
    return lab.gradient_through_time(cell, setup)


@st.cache_data(max_entries=32, ttl="2h", show_spinner=False)
def connectivity_of(cell: str, setup: lab.Setup) -> np.ndarray:
    return lab.connectivity(cell, setup)


# ---------------------------------------------------------------- 1. gradient through time

def results_for(cells: list[str]) -> dict[str, lab.GradResult]:
    return {c: gradients_of(c, setup) for c in cells}


def show_summary(results: dict[str, lab.GradResult]) -> None:
    """One row per quantity, one column per cell: nine columns of cells did not fit a 560 px column (the
    table scrolled, its last columns out of sight); an HTML table wraps its long quantity names instead."""
    quantities = {"ρ (max |eigenvalue|)": lambda r: f"{r.rho:.4f}",
                  "σ_max (the bound uses it)": lambda r: f"{r.sigma_max:.4f}",
                  "‖∂L/∂h_0‖": lambda r: fmt_number(float(r.grad_norms[0])),
                  "‖∂L/∂h_{T−1}‖": lambda r: fmt_number(float(r.grad_norms[-1])),
                  "measured factor per step back": lambda r: fmt_number(claims.rate_per_step(r.grad_norms)),
                  "non-finite steps": lambda r: str(r.nonfinite),
                  "‖∂L/∂θ‖": lambda r: fmt_number(r.param_grad_norm),
                  f"‖∂L/∂θ‖ after clipping at {clip:g}": lambda r: fmt_number(r.clipped_norm(clip))}
    show_table([{"quantity": name, **{CELL_LABELS[c]: value(r) for c, r in results.items()}}
                for name, value in quantities.items()], key="grad_summary")
    bad = [CELL_LABELS[c] for c, r in results.items() if r.nonfinite]
    if bad:
        st.warning(f"{', '.join(bad)}: the gradient overflowed float32 (inf or NaN at some steps). That is what "
                   "ρ > 1 does to a long sequence: the norms are marked at the top of the plot, not hidden. "
                   "Clipping rescales the parameter gradient but cannot repair a NaN.", icon=":material/warning:")


@st.fragment
def curves_view(results: dict[str, lab.GradResult]) -> None:
    predict = st.toggle("Predict, then reveal", key="grad_predict",
                        help="Hide the measurement until you have placed a guess for the slope.")
    mirror("gradients", only=("predict",))
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
    show_built(
        fig.gradient_curves, {c: r.grad_norms for c, r in results.items()}, labels=CELL_LABELS, colors=COLORS,
        log10_bounds={c: r.log10_bound for c, r in results.items() if r.log10_bound is not None} if show_bound
        else None,
        log10_exact={c: r.log10_exact for c, r in results.items() if r.log10_exact is not None} if show_bound
        else None,
        guess_rate=guess, reveal=revealed,
        title=f"‖∂L/∂h_t‖ through time, T = {T}, ρ = {rho:g}, loss on the "
              f"{'last step' if loss_where == 'last' else 'every step'}", key="grad_curves")
    if predict and revealed and guess is not None:
        lines = [f"{CELL_LABELS[c]}: measured ×{fmt_number(claims.rate_per_step(r.grad_norms))} per step back"
                 for c, r in results.items()]
        st.success(f"Your guess: ×{guess:g} per step back. " + "; ".join(lines) + ".", icon=":material/check:")
    if not revealed:
        return
    if show_bound:
        st.markdown("**How to read it.** The solid line is measured. The dashed line of the same colour is "
                    "Pascanu, Mikolov & Bengio's bound (2013, §2.1) for a vanilla RNN: ‖∂L/∂h_t‖ ≤ "
                    "(γ·σ_max)^(T−1−t)·‖∂L/∂h_{T−1}‖, with γ = 1 for tanh and ReLU. For the linear RNN the dotted "
                    "line is ρ^(T−1−t). Gated cells have no such bound. What this run shows:")
        bounds = {c: r.log10_bound for c, r in results.items() if r.log10_bound is not None}
        st.markdown("\n".join(f"- {line}" for line in claims.curves_reading(
            {c: r.grad_norms for c, r in results.items()}, bounds, rho, labels=CELL_LABELS)))
    else:
        st.markdown("With the loss on **every** step, each h_t also gets a direct gradient from its own loss "
                    "term, so the curve no longer falls to zero; the bound is drawn for the last-step loss only.")


@st.fragment
def connectivity_view(results: dict[str, lab.GradResult]) -> None:
    if st.session_state.get("grad_conn_cell") not in results:  # a link or a sidebar change named another cell
        st.session_state["grad_conn_cell"] = next(iter(results))
    choice = st.selectbox("Cell", list(results), format_func=CELL_LABELS.get, key="grad_conn_cell")
    mirror("gradients", only=("conn_cell",))  # a fragment rerun does not reach app.py's mirror
    m = connectivity_of(choice, setup)
    n = m.shape[0]
    zeros, above = lab.causal_zeros(m)
    # The heatmap takes the full column and the guide sits below: in two thirds of a 560 px column the
    # projector-sized title ran under the modebar.
    show_built(fig.connectivity_heatmap, m, label=CELL_LABELS[choice],
               title=f"{CELL_LABELS[choice]}: ‖∂h_t′/∂x_t‖, first {n} steps",
               key="grad_connectivity")
    st.markdown(f"""**Reading guide**

- A **row** t′ is one hidden state h_t′: how strongly each earlier input x_t still moves it. Read it from the
  diagonal leftwards to see how far back the state remembers.
- A **column** t is one input x_t: how long its influence lasts in later states. Read it downwards.
- The **upper triangle** (grey) is exactly zero: h_t′ cannot depend on an input that comes later
  (causality). Here {zeros} of {above} cells above the diagonal are exactly 0.
- Colours are log10 of the norm: a fast fade left of the diagonal is a vanishing memory.
""")
    if n < T:
        st.caption(f"The heatmap covers the first {n} of T = {T} steps (forward-mode autograd, one pass).")


@st.fragment
def flow_view(results: dict[str, lab.GradResult]) -> None:
    frames = st.slider("Frames (one per group of steps)", *FLOW_FRAMES, step=5, key="grad_frames")
    show_built(fig.flow_animation, {c: r.grad_norms for c, r in results.items()}, labels=CELL_LABELS,
               colors=COLORS, frames=frames,
               title="The gradient flowing back from the loss: press Play",
               key="grad_flow")
    mirror("gradients", only=("frames",))
    st.caption("Each frame reveals another group of steps, from the loss at t = T−1 back to t = 0. "
               "The axes stay fixed, so a curve that drops off the bottom has vanished.")


def lstm_view() -> None:
    r = gradients_of("lstm", setup)
    # One under the other: in half a 560 px column the titles wrapped into the modebar and the bars were slivers.
    show_built(fig.lstm_state_gradients, r.grad_norms, r.cell_grad_norms,
               title=f"LSTM: hidden-state and cell-state gradients "
               f"(forget bias {fbias:g})", key="grad_lstm_state")
    show_built(fig.saturation_bars, r.saturation, title="How often each gate is saturated", key="grad_lstm_sat")
    f_low, f_high = r.saturation["f"]
    raised = gradients_of("lstm", replace(setup, forget_bias=float(fbias) + RAISE_BIAS))
    st.markdown(f"The cell state C_t = f⊙C_(t−1) + i⊙g carries the gradient through the forget gate alone. "
                f"With forget bias {fbias:g}, f is above 0.9 at {100 * f_high:.0f}% and below 0.1 at "
                f"{100 * f_low:.0f}% of steps × units. "
                + claims.forget_bias_claim(r.cell_grad_norms, raised.cell_grad_norms, fbias, fbias + RAISE_BIAS))


def section_time() -> None:
    if not cells:
        st.info("Choose at least one cell in the sidebar.", icon=":material/info:")
        return
    results = results_for(cells)
    view = st.segmented_control("View", list(VIEWS), key="grad_view", format_func=VIEWS.get,
                                label_visibility="collapsed") or "curves"
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


if section == "cliff":
    section_cliff()
elif section == "experiment":
    section_experiment(int(seed))
elif section == "trained":
    section_trained()
else:
    section_time()
mirror("gradients")  # every control this run drew, into the link
