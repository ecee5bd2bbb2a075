"""The printable worksheet and its answer key: one self-contained HTML file each, for a sentence a teacher chose.

Plotly's JavaScript is inlined once from the installed plotly package (`include_plotlyjs=True`, never a CDN), so
the files open offline; figures are static (no hover, no player) and at most `PRINT_WIDTH` px wide, so they fit an
A4 page, and `@media print` keeps a question and its figure on one page. The worksheet shows the figures a
"read the figure" question needs; predict questions keep theirs for the key. Plain data in (the questions from
labs.questions, duck-typed: this module imports no labs), a string out.
"""
from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from seqviz.figures.questions import final_frame, question_figure

PRINT_WIDTH = 700  # px: an A4 page at 96 dpi is 794 px wide, minus 15 mm margins
PRINT_HEIGHT = 560  # px: a taller figure is zoomed down, so a question and its figure fit one A4 page (1123 px)
MIN_ZOOM = 0.6  # smaller, and the tick labels of a 256-unit heatmap fall under 8 px on paper
CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a; max-width: 760px;
       margin: 24px auto; padding: 0 12px; font-size: 15px; line-height: 1.45; }
h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 19px; margin: 28px 0 6px; border-bottom: 2px solid #333; }
.meta { color: #444; } .step-text { color: #333; font-size: 14px; }
.question { border: 1px solid #bbb; border-radius: 6px; padding: 10px 14px; margin: 12px 0; }
.kind { color: #555; font-size: 13px; text-transform: uppercase; letter-spacing: 0.04em; }
.choices { list-style: none; padding-left: 0; columns: 2; } .choices li::before { content: "☐ "; }
.line { border-bottom: 1px solid #888; height: 28px; } .answer { background: #eef5ee; padding: 6px 10px; }
.skipped { color: #555; font-style: italic; } .figure { max-width: 100%; overflow: hidden; margin: 8px 0; }
table { border-collapse: collapse; font-size: 13px; } td, th { border: 1px solid #bbb; padding: 3px 6px; }
@page { size: A4; margin: 15mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 12pt; }
  .question { break-inside: avoid; page-break-inside: avoid; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .no-print { display: none; }
}
"""


@dataclass(frozen=True)
class StepSheet:
    """One lesson step on the worksheet: its number, title and text, and its answered questions."""
    number: int
    title: str
    text: str
    answers: Sequence[Any]  # labs.questions.Answer


def printable(fig: go.Figure) -> go.Figure:
    """A figure for paper: its last frame, no player, at most PRINT_WIDTH px wide (its height is kept: squeezing a
    laid-out figure's height makes its panels collide; `zoom` shrinks a tall one whole instead)."""
    fig = final_frame(fig)
    if fig.layout.width is None or fig.layout.width > PRINT_WIDTH:
        fig.update_layout(width=PRINT_WIDTH)
    return fig


def zoom(fig: go.Figure) -> float:
    """The CSS zoom that brings a figure down to PRINT_HEIGHT px (1 for a figure that fits; at least MIN_ZOOM)."""
    height = fig.layout.height or 450  # plotly's default height
    return round(max(MIN_ZOOM, min(1.0, PRINT_HEIGHT / height)), 3)


def _text(s: str) -> str:
    """Question text as HTML: escaped, with `model-name` spans set as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(s))


def _table(rows: list[dict]) -> str:
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row.values()) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


class _Figures:
    """Plotly's library goes into the first figure only; every later one reuses it."""

    def __init__(self) -> None:
        self.count = 0

    def html(self, plot: Any) -> str:
        drawn = question_figure(plot.builder, plot.args)
        if isinstance(drawn, list):
            return f'<div class="figure">{_table(drawn)}</div>'
        self.count += 1
        fig = printable(drawn)
        div = pio.to_html(fig, include_plotlyjs=self.count == 1, full_html=False,
                          config={"staticPlot": True, "displayModeBar": False}, div_id=f"figure-{self.count}")
        return f'<div class="figure" style="zoom: {zoom(fig)}">{div}</div>'


def _question(a: Any, key: bool, figures: _Figures) -> str:
    kind = {"predict": "Predict, then check", "read": "Read the figure", "explain": "Explain"}[a.mode]
    parts = [f'<div class="question" id="question_{a.step}_{a.n}"><div class="kind">{kind}</div>',
             f"<p><b>{a.step}.{a.n}</b> {_text(a.prompt)}</p>"]
    if a.meaningless:
        parts.append(f'<p class="skipped">Not on this sentence: {_text(a.meaningless)}</p></div>')
        return "".join(parts)
    if a.plot is not None and (key or a.mode == "read"):
        parts.append(figures.html(a.plot))
    if not key:
        if a.kind == "choice":
            parts.append('<ul class="choices">' + "".join(f"<li>{html.escape(c)}</li>" for c in a.choices) + "</ul>")
        else:
            parts.append('<div class="line"></div>' * (1 if a.kind == "number" else 3))
    elif a.graded:
        parts.append(f'<p class="answer"><b>Answer: {html.escape(a.shown)}</b>. {_text(a.why)}'
                     + (f" (accepted: ± {a.tolerance:g})" if a.kind == "number" and a.tolerance else "") + "</p>")
    else:
        parts.append(f'<p class="answer"><b>Model answer:</b> {_text(a.model_answer)}</p>')
    parts.append("</div>")
    return "".join(parts)


def worksheet_html(sentence: str, translation: str, steps: Sequence[StepSheet], key: bool = False,
                   model: str = "") -> str:
    """The whole worksheet (key=False: questions, answer lines, read-the-figure figures) or its answer key
    (key=True: every figure, every answer with its reason) as one self-contained HTML page."""
    figures = _Figures()
    title = "Answer key" if key else "Worksheet"
    body = [f"<h1>seqviz {title.lower()}: check your understanding</h1>",
            f'<p class="meta">Sentence: <b>{html.escape(sentence)}</b> → <i>{html.escape(translation)}</i>'
            + (f" ({html.escape(model)})" if model else "") + "</p>"]
    if not key:
        body.append('<p class="meta">Name: ______________________ &nbsp; Date: ____________</p>'
                    "<p>Every answer comes from the live models on this sentence. Predict first; then open the step "
                    "in seqviz and check.</p>")
    for step in steps:
        body.append(f'<h2 id="step_{step.number}">Step {step.number}: {html.escape(step.title)}</h2>'
                    f'<p class="step-text">{html.escape(step.text)}</p>')
        body.extend(_question(a, key, figures) for a in step.answers)
    graded = sum(1 for s in steps for a in s.answers if a.graded and not a.meaningless)
    body.append(f'<p class="meta">{graded} marked questions' + (": score ____ of " + str(graded) if not key else "")
                + ".</p>")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>seqviz {title}: '
            f'{html.escape(sentence)}</title><style>{CSS}</style></head><body>{"".join(body)}</body></html>')
