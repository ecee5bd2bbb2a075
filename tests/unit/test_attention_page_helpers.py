"""The attention explorer's pure page helpers: the translation chips' colours and the word diff of What if."""
import numpy as np

from seqviz.ui.attention_chips import DARK_INK_UP_TO, WHITE_INK_FROM, _ink_contrast, _shade, chip_background
from seqviz.ui.attention_tools import _diff_html


def test_translation_chips_read_at_aa_on_every_shade_and_darken_with_p():
    """The chip colour for every probability: its ink at >= 4.5:1 (mid-blue gave 4.2:1 with either ink, and
    white on it was 3.6:1), and no shade lighter than the one for a smaller p."""
    probs = np.linspace(0, 1, 501)
    assert min(_ink_contrast(chip_background(p)) for p in probs) >= 4.5
    brightness = [sum(chip_background(p)) for p in probs]
    assert all(a >= b for a, b in zip(brightness, brightness[1:], strict=False))
    assert DARK_INK_UP_TO < WHITE_INK_FROM  # the gap is real: a mid-blue shade would fail with either ink
    assert _ink_contrast(_shade((DARK_INK_UP_TO + WHITE_INK_FROM) / 2)) < 4.5  # …which is why it is skipped


def test_word_diff_html_is_escaped_and_complete():
    left, right = _diff_html("le <b>chat</b> dort", "le chien dort bien")
    assert "<del" in left and "&lt;b&gt;chat&lt;/b&gt;" in left and "<b>" not in left
    assert right.count("<ins") == 2 and "chien" in right and "bien" in right and right.startswith("le ")
