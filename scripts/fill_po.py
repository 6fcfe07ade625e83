"""Fill untranslated (and fuzzy) entries of a .po file from a JSON dictionary (English -> translation).

Used when a feature lands: `make messages`, add the new strings to locale/ru/ru.json,
then `python scripts/fill_po.py locale/ru/ru.json locale/ru/LC_MESSAGES/django.po`.

Dictionary format:
  "English": "Русский"                          an ordinary entry
  "English singular": ["форма 0", "форма 1", …]  an ngettext entry, one string per plural form
                                                 of the catalogue header (Russian: 4 in Django)
  "context\u0004English": …                      an entry with msgctxt (pgettext)

Entries already translated in the .po are left as they are (with --overwrite, replaced when the
dictionary says otherwise, so ru.json stays the single source), except fuzzy ones: makemessages
marks entries fuzzy with a *guessed* translation of a similar string, and Django ignores fuzzy
entries, so a fuzzy entry is replaced from the dictionary and its fuzzy flag dropped (it is
reported as missing when the dictionary lacks it). Exit status 1 when anything is missing.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

_KEYWORD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+(".*")\s*$')
_CONTINUATION = re.compile(r'^(".*")\s*$')
_NPLURALS = re.compile(r"nplurals\s*=\s*(\d+)")


def _unquote(text: str) -> str:
    return json.loads(text) if text.startswith('"') else text


def _quote(text: str) -> str:
    # PO strings use C escapes; json.dumps produces compatible ones for what translations contain.
    return json.dumps(text, ensure_ascii=False)


class Entry:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.comments: list[str] = []
        self.fields: dict[str, str] = {}
        self.order: list[str] = []
        self.obsolete = False
        current = None
        for line in lines:
            if line.startswith("#~"):
                self.obsolete = True
                self.comments.append(line)
                continue
            if line.startswith("#"):
                self.comments.append(line)
                continue
            match = _KEYWORD.match(line)
            if match:
                current = match.group(1)
                self.order.append(current)
                self.fields[current] = _unquote(match.group(2))
                continue
            match = _CONTINUATION.match(line)
            if match and current:
                self.fields[current] += _unquote(match.group(1))

    @property
    def is_entry(self) -> bool:
        return "msgid" in self.fields and not self.obsolete

    @property
    def fuzzy(self) -> bool:
        return any(c.startswith("#,") and "fuzzy" in c for c in self.comments)

    @property
    def key(self) -> str:
        ctx = self.fields.get("msgctxt")
        return f"{ctx}\x04{self.fields['msgid']}" if ctx is not None else self.fields["msgid"]

    @property
    def plural(self) -> bool:
        return "msgid_plural" in self.fields

    def current(self) -> str | list[str]:
        if self.plural:
            keys = sorted((k for k in self.fields if k.startswith("msgstr[")), key=lambda k: int(k[7:-1]))
            return [self.fields[k] for k in keys]
        return self.fields.get("msgstr", "")

    def translated(self) -> bool:
        if self.plural:
            forms = [v for k, v in self.fields.items() if k.startswith("msgstr[")]
            return bool(forms) and all(forms)
        return bool(self.fields.get("msgstr"))

    def render(self, translation: str | list[str]) -> str:
        out: list[str] = []
        for comment in self.comments:
            if comment.startswith("#|"):
                continue  # previous msgid of a fuzzy match
            if comment.startswith("#,"):
                flags = [f.strip() for f in comment[2:].split(",") if f.strip() and f.strip() != "fuzzy"]
                if not flags:
                    continue
                comment = "#, " + ", ".join(flags)
            out.append(comment)
        if "msgctxt" in self.fields:
            out.append(f"msgctxt {_quote(self.fields['msgctxt'])}")
        out.append(f"msgid {_quote(self.fields['msgid'])}")
        if self.plural:
            out.append(f"msgid_plural {_quote(self.fields['msgid_plural'])}")
            for n, form in enumerate(translation):
                out.append(f"msgstr[{n}] {_quote(form)}")
        else:
            out.append(f"msgstr {_quote(translation)}")
        return "\n".join(out)


def _nplurals(header: Entry | None) -> int:
    match = _NPLURALS.search(header.fields.get("msgstr", "")) if header else None
    return int(match.group(1)) if match else 2


def fill(dictionary: dict[str, str | list[str]], po: str, overwrite: bool = False) -> tuple[str, list[str]]:
    missing: list[str] = []
    blocks = re.split(r"\n[ \t]*\n", po.strip("\n"))
    entries = [Entry(block.split("\n")) for block in blocks]
    header = next((e for e in entries if e.is_entry and e.fields["msgid"] == "" and "msgctxt" not in e.fields), None)
    nplurals = _nplurals(header)
    out: list[str] = []
    for entry, block in zip(entries, blocks, strict=True):
        if not entry.is_entry:
            out.append(block)
            continue
        if entry is header:
            out.append(block.replace("#, fuzzy\n", "", 1) if entry.fuzzy else block)
            continue
        value = dictionary.get(entry.key)
        if entry.translated() and not entry.fuzzy and not (overwrite and value is not None and value != entry.current()):
            out.append(block)
            continue
        if entry.plural:
            ok = isinstance(value, list) and len(value) == nplurals and all(value)
        else:
            ok = isinstance(value, str) and bool(value)
        if not ok:
            kind = f" (needs a list of {nplurals} plural forms)" if entry.plural else ""
            missing.append(entry.key.replace("\x04", " | ") + kind)
            out.append(block)
            continue
        out.append(entry.render(value))
    return "\n\n".join(out) + "\n", missing


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "--overwrite"]
    dictionary = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    po_path = Path(args[1])
    text, missing = fill(dictionary, po_path.read_text(encoding="utf-8"), overwrite="--overwrite" in sys.argv[1:])
    text = text.replace('"Content-Type: text/plain; charset=CHARSET\\n"', '"Content-Type: text/plain; charset=UTF-8\\n"')
    text = text.replace('"Language: \\n"', '"Language: ru\\n"')
    po_path.write_text(text, encoding="utf-8")
    for msgid in missing:
        print(f"untranslated: {msgid!r}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
