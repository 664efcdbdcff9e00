"""Stop a build before layout when the data uses a character the fonts lack.

The bundled fonts cover every character of Noto Sans CJK SC: all of GBK and
of the 通用规范汉字表 (see ``fonts/README.md``). A rarer character — most of
CJK Extension B and later, an emoji pasted from a chat — would print as an empty
box or silently come from some other font on the machine, and the log
watcher in :mod:`tujie.pdf` only notices after the whole layout. So right
after loading, every text of the report is checked against the fonts' cmaps
(the intersection over all weights, because any weight may draw it) and each
missing character is reported with its code point and the file, line, column
and field where it was written.
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

from .errors import ReportError, ReportErrors
from .model import strings_in

# characters the layout never draws as glyphs (line breaks and tabs become spaces)
NOT_DRAWN = {"\n", "\r", "\t"}
MAX_REPORTED = 20
SEARCH_LINES = 60  # how far below a value's first line a multi-line text may reach


@functools.lru_cache(maxsize=8)
def _repertoire(files: tuple[str, ...], key: bytes, cache_dir: Path | None) -> frozenset[int]:
    """The intersection of the fonts' cmaps; ``key`` (the fonts' digest) names it in memory and in
    ``cache_dir``."""
    from array import array

    stored = cache_dir / f"repertoire-{key.hex()[:32]}.bin" if cache_dir is not None else None
    if stored is not None and stored.is_file():
        codes = array("I")
        codes.frombytes(stored.read_bytes())
        return frozenset(codes)
    import uharfbuzz as hb

    common: set[int] | None = None
    for path in files:
        codes = set(hb.Face(hb.Blob.from_file_path(path)).unicodes)  # the cmap's code points, read in C
        common = codes if common is None else common & codes
    found = frozenset(common or ())
    if stored is not None:
        try:
            stored.parent.mkdir(parents=True, exist_ok=True)
            tmp = stored.with_name(f".{stored.name}.tmp")
            tmp.write_bytes(array("I", sorted(found)).tobytes())
            tmp.replace(stored)
        except OSError:
            pass  # only slower next time
    return found


def repertoire(font_dir: Path, cache_dir: Path | None = None) -> frozenset[int]:
    """Code points every bundled font (*.otf in ``font_dir``) can draw; cached per font digest."""
    from .build import fonts_digest
    from .fonts import bundled

    files = sorted(bundled(font_dir).values())
    return _repertoire(tuple(map(str, files)), fonts_digest(font_dir, cache_dir), cache_dir)


def missing_characters(report, font_dir: Path, cache_dir: Path | None = None) -> list[tuple[tuple, str]]:
    """(data path, character) for each character of the report's texts the fonts lack, in document order."""
    known = repertoire(font_dir, cache_dir)
    found: list[tuple[tuple, str]] = []
    seen: set[tuple[tuple, str]] = set()
    for path, text in strings_in(report):
        for char in text:
            if ord(char) not in known and char not in NOT_DRAWN and (path, char) not in seen:
                seen.add((path, char))
                found.append((path, char))
    return found


def check_characters(report, source: Path, font_dir: Path, cache_dir: Path | None = None) -> None:
    """Raise ReportErrors naming every character the fonts cannot draw, and where it is."""
    found = missing_characters(report, font_dir, cache_dir)
    if not found:
        return
    from .load import load_marks  # the error path only: re-read the file for line numbers
    from .yamlio import dotted

    marks = load_marks(source)
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    errors = []
    for path, char in found[:MAX_REPORTED]:
        line, column = _position(char, marks.get(path) or _parent_mark(path, marks), lines)
        errors.append(ReportError(describe(char), file=str(source), line=line, column=column, field=dotted(path)))
    raise ReportErrors(errors, more=max(0, len(found) - MAX_REPORTED))


def describe(char: str) -> str:
    """The Chinese message for one missing character, with its code point."""
    code = f"U+{ord(char):04X}"
    category = unicodedata.category(char)
    if category in ("Cf", "Cc", "Zl", "Zp", "Mn") or "VARIATION SELECTOR" in unicodedata.name(char, ""):
        name = unicodedata.name(char, "未命名字符")
        return (f"有一个看不见的特殊字符 {code}（{name}），常见于从网页或聊天软件复制的文字；"
                f"它不在随附字库里，请删掉它")
    kind = ("表情符号" if _is_emoji(char) else "生僻字" if unicodedata.name(char, "").startswith("CJK")
            else "私用区字符，多见于输入法造字" if category == "Co" else "特殊符号")
    return (f"字符“{char}”（{code}）不在随附字库里，印出来会是方框或空白（{kind}）；"
            f"随附字库已有思源黑体简体（Noto Sans CJK SC）的全部字符，GBK 和《通用规范汉字表》的字都在内，"
            f"这个字不在其中。请换成字库里有的写法（如把扩展区的异体字换成规范字）")


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return 0x1F000 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF


def _parent_mark(path: tuple, marks: dict):
    while path and path not in marks:
        path = path[:-1]
    return marks.get(path)


def _position(char: str, mark, lines: list[str]) -> tuple[int | None, int | None]:
    """Line and column of ``char`` at or below the value's mark (a text may span lines)."""
    if not mark:
        return None, None
    line, column = mark
    for number in range(line, min(line + SEARCH_LINES, len(lines) + 1)):
        start = column - 1 if number == line else 0
        found = lines[number - 1].find(char, start)
        if found >= 0:
            return number, found + 1
    return line, column
