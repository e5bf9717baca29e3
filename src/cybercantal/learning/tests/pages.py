"""Reading pages as a person would, for the story tests: the forms of a page with what a
browser would send by default (checked boxes, selected options, typed values), their
fields found by their visible label, and the links by their text. Standard library only."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any


def squash(text: str) -> str:
    """Entities decoded, runs of white space (and no-break spaces) as one space."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", html.unescape(text)).strip()


def visible_text(content: bytes | str) -> str:
    """The text of a page without its tags, scripts and styles, squashed."""
    text = content.decode() if isinstance(content, bytes) else content
    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
    return squash(re.sub(r"(?s)<[^>]+>", " ", text))


@dataclass
class Field:
    tag: str  # input, select, textarea, button
    name: str
    type: str = ""
    value: str = ""
    checked: bool = False
    id: str = ""
    options: list[tuple[str, str, bool]] = field(default_factory=list)  # value, text, selected
    text: str = ""  # a button's or a textarea's text
    form: str = ""  # the ``form`` attribute (a button outside its form)


@dataclass
class Form:
    action: str
    method: str
    id: str = ""
    fields: list[Field] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # id -> label text (of the whole page)

    def label_of(self, f: Field) -> str:
        return self.labels.get(f.id, "")

    def named(self, prefix: str) -> list[Field]:
        return [f for f in self.fields if f.name.startswith(prefix)]

    def data(self, **changes: Any) -> dict[str, Any]:
        """What the browser sends by default (without any button), with ``changes``."""
        data: dict[str, Any] = {}
        for f in self.fields:
            if not f.name or f.tag == "button" or f.type in {"submit", "button", "reset", "file", "image"}:
                continue
            if f.type in {"checkbox", "radio"}:
                if f.checked:
                    if f.type == "checkbox":
                        data.setdefault(f.name, []).append(f.value or "on")
                    else:
                        data[f.name] = f.value or "on"
                continue
            if f.tag == "select":
                chosen = [v for v, _t, selected in f.options if selected]
                if not chosen and f.options:
                    chosen = [f.options[0][0]]
                data[f.name] = chosen[0] if chosen else ""
                continue
            data[f.name] = f.text if f.tag == "textarea" else f.value
        for name, value in changes.items():
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
        return data

    def option_value(self, name: str, text: str) -> str:
        """The value of the option of select ``name`` whose text is ``text``."""
        for f in self.fields:
            if f.name == name and f.tag == "select":
                for value, option_text, _selected in f.options:
                    if squash(option_text) == text:
                        return value
                raise AssertionError(f"no option {text!r} in {name}: {[t for _v, t, _s in f.options]}")
        raise AssertionError(f"no select {name!r}")

    def button(self, text: str) -> Field:
        for f in self.fields:
            if (f.tag == "button" or f.type == "submit") and text in squash(f.text or f.value):
                return f
        raise AssertionError(f"no button {text!r}")


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.outside: list[Field] = []  # buttons with a form="…" attribute outside their form
        self.labels: dict[str, str] = {}
        self.links: list[tuple[str, str]] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._option: list[Any] | None = None
        self._text_of: Field | None = None  # textarea or button being read
        self._label: list[Any] | None = None  # [for, text]
        self._link: list[str] | None = None  # [href, text]

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: (v or "") for k, v in attrs_list}
        if tag == "form":
            self._form = Form(
                action=attrs.get("action", ""), method=attrs.get("method", "get").lower(), id=attrs.get("id", "")
            )
            self.forms.append(self._form)
        elif tag == "label":
            self._label = [attrs.get("for", ""), ""]
        elif tag == "a" and "href" in attrs:
            self._link = [attrs["href"], ""]
        elif tag in {"input", "select", "textarea", "button"}:
            f = Field(
                tag=tag,
                name=attrs.get("name", ""),
                type=attrs.get("type", "submit" if tag == "button" else ("text" if tag == "input" else "")),
                value=attrs.get("value", ""),
                checked="checked" in attrs,
                id=attrs.get("id", ""),
                form=attrs.get("form", ""),
            )
            if self._form is not None and not f.form:
                self._form.fields.append(f)
            elif f.form:
                self.outside.append(f)
            if tag == "select":
                self._select = f
            elif tag in {"textarea", "button"}:
                self._text_of = f
        elif tag == "option" and self._select is not None:
            self._option = [attrs.get("value"), "", "selected" in attrs]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "label" and self._label is not None:
            if self._label[0]:
                self.labels[self._label[0]] = squash(self._label[1])
            self._label = None
        elif tag == "a" and self._link is not None:
            self.links.append((squash(self._link[1]), self._link[0]))
            self._link = None
        elif tag == "option" and self._option is not None and self._select is not None:
            value, text, selected = self._option
            self._select.options.append((text.strip() if value is None else value, squash(text), selected))
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag in {"textarea", "button"}:
            self._text_of = None

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option[1] += data
        if self._text_of is not None:
            self._text_of.text += data
        if self._label is not None:
            self._label[1] += data
        if self._link is not None:
            self._link[1] += data


@dataclass
class Page:
    forms: list[Form]
    links: list[tuple[str, str]]
    text: str
    url: str = ""  # where the page was read (a form without ``action`` is sent there)

    def form(self, *, action: str = "", button: str = "", id: str = "") -> Form:
        """The form whose action contains ``action`` and that has a button reading ``button``."""
        for f in self.forms:
            if action and action not in f.action:
                continue
            if id and f.id != id:
                continue
            if button:
                try:
                    f.button(button)
                except AssertionError:
                    continue
            return f
        raise AssertionError(f"no form action~{action!r} button~{button!r} id={id!r}")

    def link(self, text: str) -> str:
        for link_text, href in self.links:
            if text in link_text:
                return href
        raise AssertionError(f"no link {text!r} among {[t for t, _h in self.links][:80]}")


def read(response: Any) -> Page:
    content = response.content.decode() if hasattr(response, "content") else str(response)
    reader = _Reader()
    reader.feed(content)
    request = getattr(response, "request", None) or {}
    url = str(request.get("PATH_INFO", ""))
    if request.get("QUERY_STRING"):
        url += "?" + str(request["QUERY_STRING"])
    for f in reader.forms:
        f.labels = reader.labels
        f.fields += [b for b in reader.outside if b.form and b.form == f.id]
        f.action = html.unescape(f.action) or url
    return Page(forms=reader.forms, links=reader.links, text=visible_text(content), url=url)
