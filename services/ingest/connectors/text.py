"""Vendor bodies (HTML, markdown, Atlassian documents) as clean text. Pure."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from markdown_it import MarkdownIt

_BLOCKS = {
    "address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "footer", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section", "table", "tr", "ul",
}  # fmt: skip
_HIDDEN = {"script", "style", "head", "template"}
_ADF_BLOCKS = {"paragraph", "heading", "codeBlock", "blockquote", "rule", "panel", "bulletList", "orderedList"}
_markdown = MarkdownIt("commonmark")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.preformatted = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        if tag == "pre":
            self.preformatted += 1
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        if tag == "pre":
            self.preformatted = max(0, self.preformatted - 1)
        elif tag in _BLOCKS and tag != "li":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            # Outside <pre>, a line break in HTML source is only a space.
            self.parts.append(data if self.preformatted else data.replace("\n", " "))


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment: one line per block, entities decoded, comments and scripts dropped."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return _tidy("".join(collector.parts))


def markdown_to_text(markdown: str) -> str:
    """Markdown (with any inline HTML) as the text a reader sees."""
    return html_to_text(_markdown.render(markdown))


def adf_to_text(document: Any) -> str:
    """An Atlassian Document Format tree (Jira v3 bodies) as text; a plain string passes through."""
    return _tidy(_adf(document))


def _adf(node: Any) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "".join(_adf(child) for child in node)
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    if not isinstance(kind, str):  # a vendor's (or forger's) list or object here is no node type we know
        kind = None
    if kind == "text":
        text = node.get("text")
        return text if isinstance(text, str) else ""
    if kind == "hardBreak":
        return "\n"
    inner = _adf(node.get("content", []))
    if kind == "listItem":
        return f"- {inner.strip()}\n"
    return f"{inner}\n" if kind in _ADF_BLOCKS else inner


def _tidy(text: str) -> str:
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.replace("\r", "").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
