"""How a page shows a computed claim and the corpus's reference translation, the same way on every page.

The sentences come from `seqviz.labs.claims` (and the positional labs), written from the figure's own arrays;
this module only places them. Text is escaped as typed (`as_text`): a claim quotes the user's words.
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from seqviz.references import example_reference
from seqviz.ui.text import as_text


def claim(text: str, where: Any = None) -> None:
    """One computed sentence about the figure above it."""
    if text:
        (where or st).caption(":material/fact_check: " + as_text(text))


def reference_line(sentence: str, translation: str, where: Any = None) -> None:
    """The corpus's French beside the model's, when the sentence is a lesson example (never blocks the page)."""
    found = example_reference(sentence)
    if found is None:
        return
    same = "the model writes exactly this" if translation.strip() == found.text else "compare it with the model's"
    (where or st).markdown(f"**Reference** ({as_text(found.note)}): {as_text(found.text)}  \n"
                           f":material/compare_arrows: {same}.")
