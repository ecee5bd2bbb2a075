"""seqviz: the Streamlit entry point. Navigation built from the page registry (seqviz/pages.py), plus what every
page shares: the projector switch, the trimmed links, the lesson bar and the share link. Pages live in seqviz/ui/."""
import streamlit as st

from seqviz.checkpoints import use_one_thread
from seqviz.pages import page as registry_page
from seqviz.pages import sections
from seqviz.ui.lesson_bar import lesson_bar, lesson_sentence, step_settings
from seqviz.ui.projector import projector_toggle
from seqviz.ui.questions import show_step_questions
from seqviz.ui.replica import moved_notice
from seqviz.ui.share import apply_hidden, share_controls
from seqviz.ui.url_state import FULL_RUN, current_values
from seqviz.ui.warm import start_warming

use_one_thread()  # small models on a shared 2-core machine: one intra-op thread per process (README, Benchmarks)
st.set_page_config(page_title="seqviz: inside sequence models", page_icon=":material/search:", layout="wide")
start_warming()  # once per process, in a niced background thread: the lesson's results are cached before the class
moved_notice()  # behind seqviz serve's nginx: a student moved here from a replica that died is told so

page = st.navigation({
    section: [st.Page(p.file, title=p.title, icon=p.icon, url_path=p.url_path or None, default=not p.url_path)
              for p in pages]
    for section, pages in sections().items()
})
current = registry_page(page.url_path)
projector_toggle()  # every page: the sidebar switch, kept in ?projector=1
apply_hidden(current.name)  # a trimmed link (?hide=…) hides the controls a teacher ticked
step = lesson_bar()  # a page opened from the lesson path shows "step n of 10", the step's text, Back and Next
if step:  # and, under the step's text, its questions, answered by the live model on the page's sentence
    show_step_questions(step, lesson_sentence(step), step_settings(step, current_values(current)))
st.session_state[FULL_RUN] = True  # a fragment that changes the link while this is False reruns the app
page.run()  # restores its controls from the link first and mirrors them back last (seqviz/ui/url_state.py)
share_controls(current.name)  # after the page, so the link carries the state the page just mirrored
st.session_state[FULL_RUN] = False
