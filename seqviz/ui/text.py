"""User and model text shown safely: as typed in markdown, and links that stay in this tab."""
from __future__ import annotations

import html


def as_text(s: str) -> str:
    """User or model text for st.markdown, markdown-neutral so it shows as typed. No HTML escaping: st.markdown
    without unsafe_allow_html already shows tags as text, and escaping twice printed l&#x27;hôpital."""
    escaped = s
    for ch in "\\`*_{}[]()#+-.!|<>~":
        escaped = escaped.replace(ch, "\\" + ch)
    return escaped


def same_tab_link(text: str, href: str) -> str:
    """An <a> that opens in this tab (markdown links open a new one): a lesson walks forward in one tab, and the
    full load starts a fresh run of the page, so the step's preset lands in its widgets. Both parts escaped."""
    return f'<a href="{html.escape(href)}" target="_self">{html.escape(text)}</a>'
