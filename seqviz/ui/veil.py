"""Hide the page's own sentences that give an unanswered predict question away.

A predict question blurs the page's figure (CSS on its st-key class), but a page also writes sentences about that
figure ("That is these 256 numbers", "falls by ×0.58 per step"), and those state the answer too. Which sentences
they are is not known here and must not be patched page by page: the question carries its `tells` (the wording,
computed from the model's numbers, that states its answer), and `veil(tag, tells)` puts a marker on the page. A
small script, installed once per browser tab, keeps every text block of the main column that holds a tell of a
marker on the page hidden: the text is not rendered (`visibility: hidden`, so it is neither seen nor in the page's
innerText) and a grey placeholder of the same size says why. When the question is answered the marker is no longer
drawn and the text comes back; the questions themselves are never hidden.
"""
from __future__ import annotations

import html
import json

import streamlit as st

MARKER = "seqviz-veil"  # class of the marker element; data-tells holds the JSON list, data-question the tag
VEILED = "seqviz-veiled"  # class the script puts on a hidden text block

# The text blocks the script looks at, innermost first wins: a list item rather than its whole list.
BLOCKS = ("li", "p", "td", "th", "h1", "h2", "h3", "h4", "[data-testid=stCaptionContainer]",
          "[data-testid=stMarkdownContainer]")

SCRIPT = """<script>
(() => {
  if (!window.seqvizVeil) {
    const BLOCKS = __BLOCKS__, MARKER = __MARKER__, VEILED = __VEILED__;
    const norm = (s) => (s || "").replace(/\\s+/g, " ").toLowerCase();
    const style = document.createElement("style");
    style.textContent = `.${VEILED} {visibility: hidden !important; position: relative}
      .${VEILED}::after {visibility: visible; position: absolute; inset: 0 auto 0 0; min-width: 100%;
        content: attr(data-veil-label); box-sizing: border-box;
        display: flex; align-items: center; padding: 0 0.6em; overflow: hidden; border-radius: 4px;
        white-space: nowrap;
        background: #e3e3e3; color: #333; font-style: italic; font-size: 0.9rem}`;
    document.head.appendChild(style);
    const sync = () => {
      const tells = [], labels = [];
      for (const m of document.querySelectorAll("." + MARKER)) {
        for (const t of JSON.parse(m.dataset.tells || "[]")) { tells.push(norm(t)); labels.push(m.dataset.question); }
      }
      const holds = (el) => { const text = norm(el.textContent); return tells.findIndex((t) => text.includes(t)); };
      for (const el of document.querySelectorAll("." + VEILED)) {
        if (holds(el) < 0) { el.classList.remove(VEILED); el.removeAttribute("aria-hidden"); }
      }
      if (!tells.length) return;
      const main = document.querySelector("[data-testid=stMain]") || document.body;
      for (const el of main.querySelectorAll(BLOCKS.join(","))) {
        if (el.closest("[class*='st-key-question_']")) continue;  // the questions never hide themselves
        const i = holds(el);
        if (i < 0 || [...el.querySelectorAll(BLOCKS.join(","))].some((d) => holds(d) >= 0)) continue;
        const cell = el.closest("td, th"), box = cell || el;  // a table cell: hide the whole cell
        box.classList.add(VEILED);
        box.setAttribute("aria-hidden", "true");
        const q = labels[i].replace("_", ".");  // a cell is too narrow for the sentence
        box.dataset.veilLabel = cell ? `see ${q}` : `Hidden until you answer question ${q} above.`;
      }
    };
    let pending = null;  // one sync per burst of changes (an animation changes the page many times a second)
    const later = () => { clearTimeout(pending); pending = setTimeout(sync, 60); };
    new MutationObserver(later).observe(document.body, {childList: true, subtree: true, characterData: true});
    window.seqvizVeil = {sync};
  }
  window.seqvizVeil.sync();
})();
</script>""".replace("__BLOCKS__", json.dumps(BLOCKS)).replace("__MARKER__", json.dumps(MARKER)).replace(
    "__VEILED__", json.dumps(VEILED))


def marker(tag: str, tells: tuple[str, ...]) -> str:
    """The marker element for question `tag` ("4_1"): its tells as JSON in an attribute, escaped."""
    return (f'<span class="{MARKER}" data-question="{html.escape(tag)}" '
            f'data-tells="{html.escape(json.dumps(list(tells)))}" hidden></span>')


def veil(tag: str, tells: tuple[str, ...]) -> None:
    """Hide every text block of the page that holds one of `tells` while this run draws the marker."""
    if tells:
        st.html(marker(tag, tells) + SCRIPT, unsafe_allow_javascript=True)


def tells_on_page(bodies: list[str]) -> list[str]:
    """The tells of every marker in these st.html bodies (what a test reads back from the page)."""
    found = []
    for body in bodies:
        start = body.find(f'class="{MARKER}"')
        if start >= 0:
            raw = body[start:].split('data-tells="', 1)[1].split('"', 1)[0]
            found += json.loads(html.unescape(raw))
    return found
