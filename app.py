"""seqviz: the Streamlit entry point. Navigation in sections plus what every page shares (the projector switch,
the lesson bar); each page lives in seqviz/ui/."""
import streamlit as st

from seqviz.checkpoints import use_one_thread
from seqviz.ui.common import apply_hidden, lesson_bar, projector_toggle, share_controls

use_one_thread()  # small models on a shared 2-core machine: one intra-op thread per process (README, Benchmarks)
st.set_page_config(page_title="seqviz: inside sequence models", page_icon=":material/search:", layout="wide")

SECTIONS = {
    "Start": [("home.py", "Home", ":material/home:", "")],
    "Recurrent networks": [("rnn.py", "RNN seq2seq", ":material/repeat:", "rnn"),
                           ("gradients.py", "Gradients lab", ":material/trending_down:", "gradients")],
    "Transformer": [("attention.py", "Attention explorer", ":material/visibility:", "attention"),
                    ("positional.py", "Positional encoding", ":material/waves:", "positional"),
                    ("compute.py", "RNN vs Transformer compute", ":material/speed:", "compute")],
}
page = st.navigation({
    section: [st.Page(f"seqviz/ui/{file}", title=title, icon=icon, url_path=url or None, default=not url)
              for file, title, icon, url in pages]
    for section, pages in SECTIONS.items()
})
projector_toggle()  # every page: the sidebar switch, kept in ?projector=1
apply_hidden(page.url_path)  # a trimmed link (?hide=…) hides the controls a teacher ticked
lesson_bar()  # a page opened from the lesson path shows "step n of 10" with Back and Next
page.run()
share_controls(page.url_path)  # after the page, so the link carries the state the page just mirrored
