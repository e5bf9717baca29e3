"""Write the French catalogue of plurals from the English one (see docs/traductions.md).

The code is written in French, so French needs no translation, except for one thing: without a
French catalogue, ``ngettext`` falls back to the English rule (singular only for n == 1) and
says "0 jours". Django applies a catalogue's ``Plural-Forms`` only to the msgids that
catalogue holds, so ``locale/fr/LC_MESSAGES/django.po`` holds every plural entry of the code,
translated to itself (msgstr[0] = msgid, msgstr[1] = msgid_plural), under the French rule
``plural=(n > 1)``. The English catalogue, kept in sync with the code by ``make messages``,
lists them all.

    python tools/french_plurals.py           # write the French .po (``make messages`` does it)
    python tools/french_plurals.py --check   # exit 1 if it is out of date

Standard library only. Compile the result with ``compilemessages -l fr``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent.parent / "src" / "cybercantal" / "locale"
SOURCE = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
TARGET = LOCALE_DIR / "fr" / "LC_MESSAGES" / "django.po"

HEADER = """\
# Pluriels français de CyberCantal : fichier produit par tools/french_plurals.py à partir du
# catalogue anglais. Ne pas le modifier à la main : lancer `make messages` (docs/traductions.md).
msgid ""
msgstr ""
"Project-Id-Version: CyberCantal\\n"
"PO-Revision-Date: 2026-11-26 00:00+0100\\n"
"Last-Translator: CyberCantal\\n"
"Language-Team: French\\n"
"Language: fr\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\\n"
"""

ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v", "\\": "\\", '"': '"'}


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    flags: list[str] = field(default_factory=list)


def unquote(text: str, where: str) -> str:
    """The value of a PO string literal: ``"a\\"b\\n"`` -> ``a"b`` + newline."""
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError(f"{where}: not a quoted string: {text!r}")
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        char = body[i]
        if char == "\\":
            if i + 1 >= len(body) or body[i + 1] not in ESCAPES:
                raise ValueError(f"{where}: unknown escape in {text!r}")
            out.append(ESCAPES[body[i + 1]])
            i += 2
        elif char == '"':
            raise ValueError(f"{where}: unescaped quote in {text!r}")
        else:
            out.append(char)
            i += 1
    return "".join(out)


def read_plurals(path: Path) -> list[Entry]:
    """The plural entries of a PO file, in file order (obsolete ``#~`` entries are skipped)."""
    entries: list[Entry] = []
    current, field_name = Entry(), ""

    def finish() -> None:
        nonlocal current, field_name
        if current.msgid_plural is not None and current.msgid:
            entries.append(current)
        current, field_name = Entry(), ""

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        where = f"{path}:{number}"
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line or field_name:
                finish()
            continue
        if line.startswith("#"):
            if field_name.startswith("msgstr"):  # a comment after a msgstr starts the next entry
                finish()
            if line.startswith("#,"):
                current.flags += [flag.strip() for flag in line[2:].split(",") if flag.strip()]
            continue
        if line.startswith('"'):
            if not field_name:
                raise ValueError(f"{where}: string outside an entry: {raw!r}")
            value = unquote(line, where)
        else:
            keyword, _, rest = line.partition(" ")
            if keyword in ("msgctxt", "msgid") and field_name.startswith("msgstr"):
                finish()  # entries separated without a blank line
            if keyword not in ("msgctxt", "msgid", "msgid_plural") and not keyword.startswith("msgstr"):
                raise ValueError(f"{where}: unreadable line {raw!r}")
            field_name, value = keyword, unquote(rest.strip(), where)
            if field_name in ("msgctxt", "msgid_plural"):
                setattr(current, field_name, "")
        if field_name in ("msgctxt", "msgid", "msgid_plural"):
            setattr(current, field_name, (getattr(current, field_name) or "") + value)
    finish()
    return entries


def quote(keyword: str, text: str) -> str:
    """``keyword "text"``, split after each newline as gettext does."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\r", "\\r")
    parts = escaped.replace("\n", "\\n\n").split("\n")
    parts = [part for part in parts if part] or [""]
    if len(parts) == 1:
        return f'{keyword} "{parts[0]}"'
    return f'{keyword} ""\n' + "\n".join(f'"{part}"' for part in parts)


def render(entries: list[Entry]) -> str:
    """The French .po: the header, then each plural entry translated to itself."""
    blocks = [HEADER]
    seen: set[tuple[str | None, str]] = set()
    for entry in entries:
        if entry.msgid_plural is None or (entry.msgctxt, entry.msgid) in seen:
            continue
        seen.add((entry.msgctxt, entry.msgid))
        lines = []
        flags = [flag for flag in dict.fromkeys(entry.flags) if flag != "fuzzy"]
        if flags:
            lines.append("#, " + ", ".join(flags))
        if entry.msgctxt is not None:
            lines.append(quote("msgctxt", entry.msgctxt))
        lines += [
            quote("msgid", entry.msgid),
            quote("msgid_plural", entry.msgid_plural),
            quote("msgstr[0]", entry.msgid),
            quote("msgstr[1]", entry.msgid_plural),
        ]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="the English .po (default: %(default)s)")
    parser.add_argument("--target", type=Path, default=TARGET, help="the French .po (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the target is out of date")
    args = parser.parse_args(argv)

    entries = read_plurals(args.source)
    text = render(entries)
    current = args.target.read_text(encoding="utf-8") if args.target.exists() else None
    if args.check:
        if current != text:
            print(f"{args.target} is out of date: run `make messages` (docs/traductions.md).", file=sys.stderr)
            return 1
        return 0
    if current != text:
        args.target.parent.mkdir(parents=True, exist_ok=True)
        args.target.write_text(text, encoding="utf-8")
    print(f"{args.target}: {len(entries)} plural entries.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
