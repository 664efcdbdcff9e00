"""The rules of Chinese text layout we apply, as plain functions over strings.

Nothing here knows about WeasyPrint: each function looks at characters and
answers one question a typesetter asks. The rules follow W3C "Requirements
for Chinese Text Layout" (clreq, https://www.w3.org/TR/clreq/) at its basic
level and GB/T 15834-2011 (标点符号用法), for the mainland (GB) style in which
the bundled Noto Sans SC draws its punctuation:

* line breaking (§3.1.7 行首行尾禁则): stop marks, closing quotes and brackets
  and a few connecting marks never start a line, opening quotes and brackets
  never end one, and ``——`` and ``……`` are never split;
* punctuation compression (§3.1.6 标点挤压): two adjacent full-width marks
  whose blank halves meet take 1.5 em instead of 2;
* justification (§3.8 行的调整): a justified line is stretched between
  characters, never inside Latin words or numbers, before closing or after
  opening punctuation, or inside ``——`` and ``……``;
* Han–Latin spacing (§3.2.2 中西文混排): a quarter em between Han characters
  and Latin letters or digits.
"""

from __future__ import annotations

import unicodedata

# Punctuation marks by where their blank half sits in a full-width GB-style glyph.
OPENING = "（〔［｛〈《「『【〖〘〚“‘"  # ink on the right half: opening brackets, quotes, title marks
CLOSING = "）〕］｝〉》」』】〗〙〛”’"  # ink on the left half: the closing counterparts
STOPS = "、，。．；：！？"  # pause and stop marks (点号), ink on the left half in GB style

# Line breaking (GB/T 15834-2011 §5.1.7, clreq §3.1.7). Beyond stop marks and closing
# punctuation, the interpunct, solidus, connecting marks and unit signs stay off the line start.
NO_LINE_START = frozenset(
    CLOSING + STOPS + ")]},.;:!?" + "‼⁇⁈⁉" + "·・‧" + "／～〜－" + "％‰℃°" + "〃々"
)
NO_LINE_END = frozenset(OPENING + "([{")
INSEPARABLE = frozenset("—…⋯")  # doubled as a dash (——) or an ellipsis (……): never split

# Full-width marks that punctuation compression may set at half width
HALF_BLANK_RIGHT = frozenset(CLOSING + STOPS)
HALF_BLANK_LEFT = frozenset(OPENING)

# East Asian "ambiguous" marks that the bundled CJK font draws on the ideographic grid
CJK_AMBIGUOUS = frozenset("“”‘’·‧—…⋯")
WORD_SPACES = frozenset(" \u00a0")  # the spaces CSS justification stretches between words


def is_wide(char: str) -> bool:
    """A character set on the ideographic em grid: Han, kana, full-width marks, CJK quotes."""
    return unicodedata.east_asian_width(char) in "WF" or char in CJK_AMBIGUOUS


def is_ideograph(char: str) -> bool:
    """Han characters (and kana and bopomofo, which CSS groups with them for spacing)."""
    if unicodedata.east_asian_width(char) not in "WF":
        return False
    return unicodedata.category(char) in ("Lo", "Lm", "Nl") and char not in "〃々"


def is_latin(char: str) -> bool:
    """Letters and digits of the Western scripts (narrow letters and numerals)."""
    return unicodedata.east_asian_width(char) not in "WF" and unicodedata.category(char)[0] in "LN"


def _invisible(char: str) -> bool:
    return unicodedata.category(char) in ("Mn", "Me", "Cf", "Cc", "Zl", "Zp")


def break_forbidden(before: str, after: str) -> bool:
    """True if a line may not break between ``before`` and ``after``."""
    return after in NO_LINE_START or before in NO_LINE_END or (before == after and before in INSEPARABLE)


def forbidden_breaks(text: str) -> list[int]:
    """Indexes ``i`` where a break between ``text[i - 1]`` and ``text[i]`` is forbidden."""
    return [i for i in range(1, len(text)) if break_forbidden(text[i - 1], text[i])]


def compressed_marks(text: str) -> list[int]:
    """Indexes of the marks to set at half width so that adjacent pairs take 1.5 em.

    A pair is compressed where two blank halves meet. Between two closing or stop marks
    (``。”``, ``）、``) the first one gives up its blank; between two opening marks (``“（``)
    the second one does. Between a closing and an opening mark (``：“``, ``。（``) the
    opening one does, because a line may break there and the mark that stays at the
    line end must keep its full width.
    """
    halved = []
    for i in range(1, len(text)):
        a, b = text[i - 1], text[i]
        if a in HALF_BLANK_RIGHT and b in HALF_BLANK_RIGHT:
            halved.append(i - 1)
        elif b in HALF_BLANK_LEFT and (a in HALF_BLANK_RIGHT or a in HALF_BLANK_LEFT):
            halved.append(i)
    return sorted(set(halved))


# Justification opportunities, by priority
INTER_CHARACTER = 1  # between two characters, at least one of them ideographic
WORD_SPACE = 2  # after a word space


def justification_gap(before: str, after: str) -> int | None:
    """The kind of stretchable gap between two adjacent characters, or None if it may not stretch."""
    if before in WORD_SPACES:
        return WORD_SPACE if after not in WORD_SPACES else None
    if after in WORD_SPACES or _invisible(before) or _invisible(after):
        return None
    if break_forbidden(before, after):
        return None  # before closing, after opening punctuation, inside —— and ……
    if not (is_wide(before) or is_wide(after)):
        return None  # inside a Latin word or a number such as 1100 or 8.5%
    return INTER_CHARACTER


def autospace(before: str, after: str) -> bool:
    """True if a Han–Latin space (¼ em) belongs between the two characters."""
    return (is_ideograph(before) and is_latin(after)) or (is_latin(before) and is_ideograph(after))
