"""Factories and helpers of the question bank tests."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from ..models import QuestionCategory

__all__ = ["CategoryFactory", "form_values"]


def CategoryFactory(owner: Any, name: str, parent: QuestionCategory | None = None) -> QuestionCategory:  # noqa: N802
    return QuestionCategory.objects.create(owner=owner, name=name, parent=parent)


class _FormParser(HTMLParser):
    """What a browser would send for the form that holds ``marker`` (its ``data-`` attribute),
    default buttons excluded: inputs, checked boxes and radios, selected options, textareas."""

    def __init__(self, marker: str) -> None:
        super().__init__(convert_charrefs=True)
        self.marker = marker
        self.inside = False
        self.in_template = 0
        self.values: list[tuple[str, str]] = []
        self.select: str | None = None
        self.select_first: str | None = None
        self.select_chosen = False
        self.option_value: str | None = None
        self.textarea: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form" and self.marker in a:
            self.inside = True
        if not self.inside:
            return
        if tag == "template":
            self.in_template += 1
        if self.in_template:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in {"submit", "button"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    self.values.append((name, a.get("value", "on") or "on"))
                return
            self.values.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self.select, self.select_first, self.select_chosen = name, None, False
        elif tag == "option" and self.select:
            value = a.get("value", "")
            if self.select_first is None:
                self.select_first = value
            if "selected" in a and not self.select_chosen:
                self.values.append((self.select, value))
                self.select_chosen = True
        elif tag == "textarea" and name:
            self.textarea, self.text = name, []

    def handle_endtag(self, tag: str) -> None:
        if not self.inside:
            return
        if tag == "template":
            self.in_template -= 1
        elif tag == "select" and self.select and not self.in_template:
            if not self.select_chosen and self.select_first is not None:
                self.values.append((self.select, self.select_first))
            self.select = None
        elif tag == "textarea" and self.textarea and not self.in_template:
            text = "".join(self.text)
            self.values.append((self.textarea, text[1:] if text.startswith("\n") else text))
            self.textarea = None
        elif tag == "form":
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.text.append(data)


def form_values(html: str, marker: str = "data-question-editor") -> dict[str, Any]:
    parser = _FormParser(marker)
    parser.feed(html)
    result: dict[str, Any] = {}
    for name, value in parser.values:
        if name in result:
            current = result[name]
            result[name] = [*current, value] if isinstance(current, list) else [current, value]
        else:
            result[name] = value
    return result
