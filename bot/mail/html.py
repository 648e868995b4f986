"""HTML mail bodies -> plain text that the message-kind rules can read. Pure.

Lists become "- " lines and blockquotes "> " lines, so quoted earlier mail in an
HTML reply is still recognisable as quoted; scripts and styles are dropped.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser


class _HtmlText(HTMLParser):
    """Visible text; list items become '- ' lines and blockquotes '> ' lines, so quotes stay quotes."""

    _BLOCK = frozenset(("p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr",
                        "pre", "blockquote"))
    _HIDDEN = frozenset(("style", "script", "head", "title"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.hidden = self.quote = 0

    def _tag(self, tag: str, step: int) -> None:
        self.hidden = max(0, self.hidden + step * (tag in self._HIDDEN))
        self.quote = max(0, self.quote + step * (tag == "blockquote"))
        if tag in self._BLOCK:
            self.out.append("\n" + "> " * self.quote + ("- " if tag == "li" and step > 0 else ""))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, 1)

    def handle_endtag(self, tag: str) -> None:
        self._tag(tag, -1)

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.out.append(re.sub(r"\s+", " ", data))  # HTML whitespace, &nbsp; included, is one space


def html_to_text(markup: str) -> str:
    parser = _HtmlText()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # the parser is lenient; if it ever gives up, keep what it read
        pass
    lines = "".join(parser.out).splitlines()
    return "\n".join(" ".join(line.split()) for line in lines if line.strip(" >-\t"))
