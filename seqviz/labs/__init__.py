"""One backend per page: torch allowed, no streamlit, plain data out (docs/architecture.md)."""
