"""Training lab, replay part: the shipped Transformer's recorded training run (checkpoints/transformer.record.npz),
with a slider over the recorded steps and an animation of the cross-attention turning from uniform to aligned."""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

from seqviz.figures import training as fig
from seqviz.labs import training_replay as replay
from seqviz.pages import page
from seqviz.ui.charts import show_plotly
from seqviz.ui.url_state import write
from seqviz.url_codec import decode

PAGE = "training"


@st.cache_resource(show_spinner=False)
def _record():
    return replay.shipped_record()


def checked(url: str, allowed: list[int], default: int) -> None:
    """Seed the control's widget with a value the record has: its own default when neither the session nor the
    link holds one, else the nearest allowed value, with the registry's clamping message. restore() passed a link's
    value as text (the record's steps and layers are unknown to the registry), so text is what gets checked here."""
    c = page(PAGE).control(url)
    value = st.session_state.get(c.key)
    if value in allowed:
        return
    message = None
    if value is not None:
        value, message = decode(replace(c, choices=tuple(allowed), default=default), str(value))
    st.session_state[c.key] = value if value in allowed else default
    if message:
        st.info(message, icon=":material/link:")


def write_link(url: str, value: int, default: int) -> None:
    """The value into the link, left out when it is the page's own default (which the registry cannot know)."""
    write(replace(page(PAGE).control(url), default=default), value)


def show() -> None:
    try:
        record = _record()
    except ValueError as error:
        st.error(f"The training record could not be read: {error}", icon=":material/error:")
        return
    if record is None:
        st.info("No training record ships beside the Transformer. Retrain it with `seqviz train --model transformer "
                "--record-every 50` to make one.", icon=":material/info:")
        return
    labels = [f"{e.sentence[:48]}{'…' if len(e.sentence) > 48 else ''}" for e in record.examples]
    index = st.selectbox("Example sentence", range(len(labels)), format_func=labels.__getitem__,
                         key="train_replay_example")
    example = record.examples[index]
    steps = [int(s) for s in record.steps]
    st.markdown(replay.replay_claim(record, index))
    checked("replay_step", steps, steps[-1])
    step = st.select_slider("Training step", steps, key="train_replay_step")
    point = steps.index(step)
    layers = list(range(example.cross.shape[1]))
    checked("replay_layer", layers, replay.sharpest_layer(example.cross))
    layer = st.radio("Layer", layers, horizontal=True, format_func=lambda i: f"layer {i}", key="train_replay_layer")
    write_link("replay_step", step, steps[-1])
    write_link("replay_layer", layer, replay.sharpest_layer(example.cross))
    st.markdown(f"**Step {step}:** the model writes “{example.translations[point]}” "
                f"(reference: “{example.reference}”)")
    show_plotly(fig.replay_curves(steps, record.train_loss, record.valid_loss, record.valid_bleu, current=step,
                                  title="The recorded run: loss and validation BLEU"), key="train_replay_curves")
    writes = example.tgt_tokens[1:] + ["</s>"]
    heads = example.cross[point, layer]  # [head, tgt+1, src]
    show_plotly(fig.heads_vs_ideal([(f"head {h}", heads[h]) for h in range(len(heads))], None, example.src_tokens,
                                   writes, title=f"Step {step}: cross-attention of layer {layer}, every head"),
                key="train_replay_heads")
    frames = [example.cross[i, layer].mean(0) for i in range(len(steps))]
    show_plotly(fig.attention_animation(frames, steps, example.src_tokens, writes, example.translations,
                                        title=f"Layer {layer}, mean of the heads, across training (press play)"),
                key="train_replay_animation")
    with st.expander("Encoder self-attention at this step"):
        enc = example.encoder[point, layer]
        show_plotly(fig.heads_vs_ideal([(f"head {h}", enc[h]) for h in range(len(enc))], None, example.src_tokens,
                                       example.src_tokens, title=f"Step {step}: encoder self-attention, layer {layer}"),
                    key="train_replay_encoder")
