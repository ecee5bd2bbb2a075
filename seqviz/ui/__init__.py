"""Streamlit pages, kept thin: widgets -> backend -> figures."""
