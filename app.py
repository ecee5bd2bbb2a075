"""seqviz: the Streamlit entry point. Navigation only; each page lives in seqviz/ui/."""
import streamlit as st

st.set_page_config(page_title="seqviz: inside sequence models", page_icon="🔎", layout="wide")
st.navigation([
    st.Page("seqviz/ui/home.py", title="Home", icon="🏠", default=True),
    st.Page("seqviz/ui/attention.py", title="Attention explorer", icon="🔦", url_path="attention"),
]).run()
