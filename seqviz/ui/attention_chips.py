"""The attention explorer's translation line: each written piece as a chip shaded by the model's probability for
it, with text that reads at WCAG AA on every shade (issue 20: white on mid-blue was 3.6:1), and the beam's
candidates. Text is escaped, never HTML."""
from __future__ import annotations

import html

import streamlit as st

from seqviz.labs import attention_claims
from seqviz.ui.page_style import contrast, ink_on
from seqviz.ui.tables import show_table
from seqviz.ui.text import as_text

CHIP_BLUE = (8, 81, 156)  # #08519c, the darkest blue of the page's sequential scale
MIN_CONTRAST = 4.5  # WCAG AA for normal text


def _shade(alpha: float) -> tuple[int, int, int]:
    """CHIP_BLUE laid over white at opacity `alpha`."""
    return tuple(round(255 - alpha * (255 - c)) for c in CHIP_BLUE)


def _ink_contrast(colour: tuple[int, int, int]) -> float:
    return contrast(colour, (255, 255, 255) if ink_on(colour) == "white" else (26, 26, 26))


# A mid blue reads at about 4.2:1 with either ink: the opacities between these two are never used.
_READABLE = [a / 1000 for a in range(1001) if _ink_contrast(_shade(a / 1000)) >= MIN_CONTRAST]
DARK_INK_UP_TO = max(a for a in _READABLE if ink_on(_shade(a)) != "white")
WHITE_INK_FROM = min(a for a in _READABLE if ink_on(_shade(a)) == "white")


def chip_background(p: float) -> tuple[int, int, int]:
    """A translation chip's colour: CHIP_BLUE over white at an opacity that grows with the model's probability
    p, so a sure token is dark; its text is ink_on(colour), at MIN_CONTRAST or more. An opacity in the mid-blue
    gap snaps to the nearer readable end, so the shade still never gets lighter as p grows."""
    alpha = 0.1 + 0.85 * min(max(float(p), 0.0), 1.0)
    if DARK_INK_UP_TO < alpha < WHITE_INK_FROM:
        alpha = DARK_INK_UP_TO if alpha - DARK_INK_UP_TO < WHITE_INK_FROM - alpha else WHITE_INK_FROM
    return _shade(alpha)


def translation_chips(ex, beam: int) -> None:
    """The translation, each piece shaded by the model's probability for it (text escaped, never HTML)."""
    chips = []
    for piece, p in zip(ex.pieces, ex.probs, strict=False):
        background = chip_background(p)
        chips.append(f'<span title="p = {p:.3f}" style="display:inline-block;margin:2px;padding:2px 8px;'
                     f'border-radius:6px;background:rgb{background};color:{ink_on(background)};'
                     f'font-family:monospace;font-size:16px">'
                     f'{html.escape(piece)}<sub style="margin-left:4px">{p:.0%}</sub></span>')
    st.markdown(f"**Translation:** {html.escape(ex.translation) or '(empty)'}", unsafe_allow_html=True)
    left, right = st.columns([3, 2])
    left.markdown("".join(chips), unsafe_allow_html=True)
    right.caption(as_text(attention_claims.confidence_note(ex.probs)))
    if beam > 1 and ex.candidates:
        st.caption(f"Beam search (width {beam}) finished with these candidates; it keeps the best score, "
                   "log p divided by length^0.6 (so long translations are not punished for every extra word).")
        show_table([{"rank": rank, "translation": c.text or "(empty)", "log p": f"{c.log_prob:.3f}",
                     "score": f"{c.score:.3f}", "chosen": "yes" if c.chosen else ""}
                    for rank, c in enumerate(ex.candidates, 1)], key="attn_beam_table")
