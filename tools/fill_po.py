"""Fill msgstr in a .po file from a `nb text<TAB>translation` table (tools/translations/<lang>.tsv).

Usage: python tools/fill_po.py en    (then `make messages` compiles). Keeps existing translations."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_table(lang):
    table = {}
    for line in (ROOT / "tools" / "translations" / f"{lang}.tsv").read_text(encoding="utf-8").splitlines():
        if "\t" in line and not line.startswith("#"):
            source, target = line.split("\t", 1)
            table[source] = target
    return table


def unquote(block):
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', block)).encode().decode("unicode_escape").encode(
        "latin-1").decode("utf-8")


def quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def fill(lang):
    path = ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"
    table = load_table(lang)
    entries = re.split(r"\n\n", path.read_text(encoding="utf-8"))
    missing = 0
    for index, entry in enumerate(entries):
        match = re.search(r'^msgid ((?:".*"\n?)+)^msgstr ((?:".*"\n?)+)', entry + "\n", re.M)
        if not match or "msgid_plural" in entry:
            continue
        source, current = unquote(match[1]), unquote(match[2])
        if not source or current:
            continue
        if source in table:
            entry = entry.replace("msgstr " + match[2].rstrip("\n"), "msgstr " + quote(table[source]))
            entry = entry.replace("#, fuzzy\n", "")
            entries[index] = entry
        else:
            missing += 1
    path.write_text("\n\n".join(entries), encoding="utf-8")
    print(f"{lang}: {missing} strings without translation")


if __name__ == "__main__":
    for language in sys.argv[1:]:
        fill(language)
