"""Fill locale/<lang>/LC_MESSAGES/django.po from the table tools/translations/<lang>.tsv.

A table line is `nb msgid<TAB>translation`; a plural entry is `nb singular msgid<TAB>singular<TAB>plural`.
`\\n`, `\\t` and `\\\\` stand for a newline, a tab and a backslash; lines starting with `#` are comments.
The table wins: an entry found in it gets the table's text and loses its fuzzy flag (and the `#|` lines
msgmerge left with it). An entry missing from the table keeps a translation it has unless that is fuzzy.

    python tools/fill_po.py en nn              fill, then report what is still empty or fuzzy
    python tools/fill_po.py --missing nn       print the msgids the table lacks, ready to be completed

Workflow: `make messages` (makemessages), this script, `make messages` again (rewraps, compiles)."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 79
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
TABLE_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\"}
FIELD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (\".*\")$")


def table_unescape(text):
    return re.sub(r"\\(.)", lambda m: TABLE_ESCAPES.get(m[1], m[0]), text)


def table_escape(text):
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def load_table(lang):
    """{msgid: [form, ...]} from tools/translations/<lang>.tsv."""
    table = {}
    path = ROOT / "tools" / "translations" / f"{lang}.tsv"
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        source, *forms = (table_unescape(part) for part in line.split("\t"))
        if not forms or not all(forms):
            raise SystemExit(f"{path.name}:{number}: no translation for {source!r}")
        table[source] = forms
    return table


def unquote(text):
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m[1], m[0]), text[1:-1])


def quote_lines(keyword, text):
    """`keyword "text"`, wrapped at spaces and after newlines the way msgmerge does."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    escaped = escaped.replace("\r", "\\r").replace("\n", "\\n")
    if len(keyword) + len(escaped) + 3 <= WIDTH and "\\n" not in escaped[:-2]:
        return [f'{keyword} "{escaped}"']
    chunks = re.findall(r"[^ ]* *", escaped.replace("\\n", "\\n\0"))
    lines, current = [], ""
    for chunk in (part for piece in chunks for part in re.split(r"(?<=\0)", piece) if part):
        if current and (len(current) + len(chunk.rstrip("\0")) + 2 > WIDTH or current.endswith("\0")):
            lines.append(current)
            current = ""
        current += chunk
    lines.append(current)
    return [f'{keyword} ""'] + [f'"{line.rstrip(chr(0))}"' for line in lines if line.rstrip("\0")]


class Entry:
    """One block of a .po file: comment lines and the msg* fields in their order."""

    def __init__(self, block):
        self.comments, self.fields = [], {}
        self.obsolete = block.lstrip().startswith("#~")
        key = None
        for line in block.splitlines():
            match = FIELD.match(line)
            if line.startswith("#"):
                self.comments.append(line)
            elif match:
                key = match[1]
                self.fields[key] = unquote(match[2])
            elif line.startswith('"') and key:
                self.fields[key] += unquote(line)
        self.block = block
        self.changed = False

    msgid = property(lambda self: self.fields.get("msgid"))
    plural = property(lambda self: "msgid_plural" in self.fields)
    fuzzy = property(lambda self: any(c.startswith("#,") and "fuzzy" in c for c in self.comments))

    @property
    def msgstrs(self):
        return [value for key, value in self.fields.items() if key.startswith("msgstr")]

    @property
    def translated(self):
        return bool(self.msgstrs) and all(self.msgstrs) and not self.fuzzy

    def set(self, forms):
        if self.plural:
            count = len([key for key in self.fields if key.startswith("msgstr[")])
            if len(forms) != count:
                raise SystemExit(f"{self.msgid!r}: {count} plural forms wanted, table has {len(forms)}")
            values = {f"msgstr[{index}]": form for index, form in enumerate(forms)}
        else:
            if len(forms) != 1:
                raise SystemExit(f"{self.msgid!r}: one translation wanted, table has {len(forms)}")
            values = {"msgstr": forms[0]}
        if values.items() <= self.fields.items() and not self.fuzzy:
            return
        self.fields.update(values)
        self.unfuzzy()

    def unfuzzy(self):
        comments = []
        for comment in self.comments:
            if comment.startswith("#|"):
                continue
            if comment.startswith("#,"):
                flags = [flag.strip() for flag in comment[2:].split(",") if flag.strip() != "fuzzy"]
                if not flags:
                    continue
                comment = "#, " + ", ".join(flags)
            comments.append(comment)
        self.comments = comments
        self.changed = True

    def text(self):
        if not self.changed:
            return self.block
        lines = list(self.comments)
        for key, value in self.fields.items():
            lines += quote_lines(key, value)
        return "\n".join(lines)


def read(lang):
    path = ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"
    blocks = path.read_text(encoding="utf-8").rstrip("\n").split("\n\n")
    return path, [Entry(block) for block in blocks]


def fill(lang):
    path, entries = read(lang)
    table = load_table(lang)
    for entry in entries:
        if entry.obsolete or entry.msgid is None:
            continue
        if entry.msgid == "":
            header = entry.fields["msgstr"]
            entry.fields["msgstr"] = re.sub(r"^Language: .*$", f"Language: {lang}", header, flags=re.M)
            entry.unfuzzy()
        elif entry.msgid in table:
            entry.set(table[entry.msgid])
    path.write_text("\n\n".join(entry.text() for entry in entries) + "\n", encoding="utf-8")
    left = [e.msgid for e in entries if e.msgid and not e.obsolete and not e.translated]
    unused = set(table) - {e.msgid for e in entries if not e.obsolete}
    print(f"{lang}: {len(left)} strings empty or fuzzy; {len(unused)} table lines match no msgid")
    return left


def missing(lang):
    """The msgids of the catalogue that the table lacks, as table lines to complete."""
    _, entries = read(lang)
    table = load_table(lang)
    for entry in entries:
        if entry.obsolete or not entry.msgid or entry.msgid in table:
            continue
        places = " ".join(c[3:] for c in entry.comments if c.startswith("#: "))
        print(f"# {places}")
        forms = 2 if entry.plural else 1
        current = [] if entry.fuzzy else entry.msgstrs
        print("\t".join([table_escape(entry.msgid)] + [table_escape(s) for s in current or [""] * forms]))


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["--missing"]:
        for language in arguments[1:]:
            missing(language)
    else:
        sys.exit(1 if any([fill(language) for language in arguments]) else 0)
