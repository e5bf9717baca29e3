"""Small HTML checks shared by the page tests: our layout, French, labelled fields."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# English words allauth would show if one of its strings escaped our templates/translation.
ENGLISH_LEFTOVERS = re.compile(
    r"\b(Sign In|Sign Up|Sign Out|Signup|Password|Email address|Forgot|Remember Me|(?<!Google )Authenticator|"
    r"Recovery|Activate|Deactivate|Submit|Cancel|Confirm|Verify|Verified|Unverified|Primary|Reset|"
    r"Change|Make|Remove|Add|Two-Factor|Please|Your|account|the)\b"
)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.ids: set[str] = set()
        self.html_lang: str | None = None
        self.text: list[str] = []
        self._skip = 0
        self._in_main = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "html":
            self.html_lang = a.get("lang")
        if tag == "main":
            self._in_main = True
        if tag in {"script", "style"}:
            self._skip += 1
        if tag == "label" and a.get("for"):
            self.label_for.add(a["for"] or "")
        if tag in {"input", "select", "textarea"}:
            kind = (a.get("type") or ("text" if tag == "input" else tag)).lower()
            if kind not in {"hidden", "submit", "button", "image", "reset"}:
                self.fields.append({"tag": tag, **a, "type": kind})

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._skip -= 1
        if tag == "main":
            self._in_main = False

    def handle_data(self, data: str) -> None:
        if self._in_main and not self._skip:
            self.text.append(data)


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


def assert_our_page(html: str) -> _Collector:
    """Our base layout, in French, every field labelled and described, no English left."""
    page = parse(html)
    assert page.html_lang == "fr"
    assert 'class="skip-link"' in html, "the page does not extend base.html"
    assert 'class="site-header"' in html
    for field in page.fields:
        field_id = field.get("id")
        assert field_id, f"field without id: {field}"
        assert field_id in page.label_for, f"field {field_id} has no <label for>"
        for ref in (field.get("aria-describedby") or "").split():
            assert ref in page.ids, f"{field_id}: aria-describedby points to missing #{ref}"
        if field["type"] in {"email", "password"}:
            assert field.get("autocomplete"), f"{field_id} has no autocomplete attribute"
    main_text = " ".join(" ".join(page.text).split())
    leftover = ENGLISH_LEFTOVERS.search(main_text)
    assert leftover is None, f"English left on the page: {leftover.group(0)!r} in {main_text[:300]!r}"
    return page


def main_text(html: str) -> str:
    return " ".join(" ".join(parse(html).text).split())
