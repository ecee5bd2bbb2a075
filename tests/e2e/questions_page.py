"""A tiny page for the browser test of the lesson questions and the worksheet, until the lesson bar calls them:
?step=n&sentence=… draws step n's questions (as a step page will) and Home's worksheet widget."""
import streamlit as st

from seqviz.ui.questions import show_step_questions
from seqviz.ui.worksheet import worksheet_download

step = int(st.query_params.get("step", "1"))
sentence = st.query_params.get("sentence", "I am eating")
st.session_state.setdefault("sentence", sentence)
show_step_questions(step, sentence)
worksheet_download()
