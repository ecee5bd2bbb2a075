"""Training lab, third part: your own sentence pairs. Upload a TSV, see its bad rows, train a small tokenizer and
Transformer live (the same background run as the toy part), then translate with it. Everything lives in a
per-session temporary folder that goes when the session does; nothing is written into checkpoints/."""
from __future__ import annotations

import streamlit as st

from seqviz.figures import training as fig
from seqviz.labs import training_upload as up
from seqviz.labs.training_runner import STATUS_TEXT, LiveRun
from seqviz.ui.charts import show_plotly
from seqviz.ui.session_end import when_session_ends
from seqviz.ui.training_live import alive_check

RUN, FOLDER, CHECKPOINT = "train_upload_run", "train_upload_folder", up.SESSION_KEY
ACTIVE = ("running", "waiting")


def show() -> None:
    st.markdown("Upload a TSV file: one **source<TAB>target** pair per line, at most "
                f"{up.MAX_BYTES // 2**20} MB. A small tokenizer and a small Transformer are trained on it here, "
                "for this session only.")
    uploaded = st.file_uploader("Sentence pairs (TSV)", type=["tsv", "txt", "csv"], key="train_upload_file")
    if uploaded is not None:
        choose(uploaded.getvalue(), uploaded.name)
    if st.session_state.get(RUN) is not None:
        progress()


def choose(data: bytes, name: str) -> None:
    """The upload's check, its bad rows, and the button that trains on it."""
    try:
        checked = up.check_upload(data, name)
    except up.UploadError as error:
        st.error(str(error), icon=":material/error:")
        return
    st.write(f"{len(checked.pairs):,} usable pairs.")
    for line in checked.report():
        st.warning(line, icon=":material/warning:")
    steps = st.slider("Training steps", 100, 3000, 600, step=100, key="train_upload_steps")
    if st.button("Train on these pairs", icon=":material/model_training:", key="train_upload_go"):
        start(checked, steps)


def start(checked: up.Checked, steps: int) -> None:
    old = st.session_state.get(RUN)
    if old is not None:
        old.stop()
    folder = st.session_state.get(FOLDER)
    if folder is None or not folder.path.is_dir():  # first run, or removed (tests remove it)
        folder = up.SessionFolder()
        when_session_ends(folder.remove)  # after the session's TTL, not whenever a garbage collection finds it
    st.session_state[FOLDER] = folder
    try:
        with st.spinner("Training the tokenizer…"):
            trainer = up.PairsTrainer(checked, folder.path, up.UploadConfig(steps=steps))
    except up.UploadError as error:
        st.error(str(error), icon=":material/error:")
        return
    run = LiveRun(trainer, alive=alive_check())  # a closed tab ends the run now, not at the heartbeat's timeout
    st.session_state[RUN] = run
    run.start()


def _every() -> float | None:
    run = st.session_state.get(RUN)
    return 0.5 if run is not None and run.status in ACTIVE else None


def progress() -> None:
    @st.fragment(run_every=_every())
    def live() -> None:
        run = st.session_state.get(RUN)
        draw(run)
        if run.status not in ACTIVE and _every() is None and st.session_state.get("train_upload_final") != id(run):
            st.session_state["train_upload_final"] = id(run)
            st.rerun()  # the whole page, once: the polling stops

    live()


def draw(run: LiveRun) -> None:
    run.touch()
    view = run.view()
    trainer = run.trainer
    st.progress(view.step / trainer.cfg.steps, text=f"step {view.step} of {trainer.cfg.steps}: "
                f"{STATUS_TEXT[view.status]}")
    if len(view.loss):
        show_plotly(fig.curves(view.loss, view.accuracy, title="Your model: loss and token accuracy"),
                    key="train_upload_curves")
    for line in trainer.checked.report():  # the long rows are known only once the tokenizer has cut them
        if up.REASONS["too_long"] in line:
            st.warning(line, icon=":material/warning:")
    reports = list(trainer.reports)
    if reports:
        last = reports[-1]
        st.markdown(f"**Validation loss at step {last.step}: {last.valid_loss:.3f}** nats per token "
                    f"({len(trainer.valid)} held-out pairs). First validation sentence now reads: “{last.sample}”")
    if view.status == "done" and st.session_state.get(CHECKPOINT) is None:
        st.session_state[CHECKPOINT] = str(trainer.save())
    if view.status not in ACTIVE and reports:
        sentence = st.text_input("Translate with your model", key="train_upload_sentence")
        if sentence.strip():
            st.markdown(f"→ “{up.translate(trainer, sentence)}”")
        st.caption(f"Vocabulary: {trainer.tokenizer.vocab_size} pieces learned from your file; words it never saw "
                   "fall apart into pieces or bytes.")
