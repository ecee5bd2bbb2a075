"""The classroom CSS helpers (ui/page_style.py): contrast arithmetic, chip ink, the width keeper, the grid."""
import re

import numpy as np
import pytest

from seqviz.ui import page_style
from seqviz.ui.rnn_views import chips


def test_contrast_matches_wcag_reference_values():
    assert page_style.contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert page_style.contrast((118, 118, 118), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)
    assert page_style.contrast((255, 255, 255), (255, 255, 255)) == 1.0


def test_captions_are_dark_enough_and_grow_in_projector_mode():
    ink = tuple(int(page_style.CAPTION_INK[i:i + 2], 16) for i in (1, 3, 5))
    assert page_style.contrast(ink, (255, 255, 255)) >= 4.5 and page_style.contrast(ink, (250, 250, 250)) >= 4.5
    assert "font-size" not in page_style.classroom_css(False)
    assert f"{page_style.PROJECTOR_TEXT_PX}px" in page_style.classroom_css(True)
    assert f"{page_style.SMALL_TEXT_PX}px" in page_style.classroom_css(True)  # tables, sidebar, inputs


def test_chips_are_readable_at_every_probability():
    html = chips([f"p{i}" for i in range(11)], list(np.linspace(0, 1, 11)))
    shades = re.findall(r"background:rgb\((\d+), (\d+), (\d+)\)", html)
    assert len(shades) == 11
    for shade in shades:
        assert page_style.contrast(tuple(map(int, shade)), (26, 26, 26)) >= 4.5
    assert "&lt;" in chips(["<b>"], [0.5])  # pieces are escaped


def test_keep_width_and_grid_css_name_their_targets():
    css = page_style.keep_width_css(1234)
    assert "seqviz-wide-1234" in css and "min-width: 1234px" in css and "display: none" in css
    assert "overflow-x: auto" in css  # the chart scrolls in its own block
    grid = page_style.grid_css("grid_key")
    assert "minmax(260px, 1fr)" in grid and ".st-key-grid_key" in grid
