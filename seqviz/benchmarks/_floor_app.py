"""The smallest Streamlit page: the reference for what a session costs Streamlit itself (_server_floor.py).
Served by `streamlit run` with the app's own options; it draws a title and a line, and nothing of seqviz."""
import streamlit as st

st.set_page_config(page_title="floor", layout="wide")
st.title("A page with one line")
st.write("Streamlit's own cost of a session: a websocket, a script run, two elements.")
