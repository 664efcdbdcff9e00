"""The would-be report file while it is being edited.

In: the YAML text of the draft (the file as read plus every edit so far)
and one more edit — a value at a data path, or a list operation (move an
entry up or down, copy it, remove it). Out: the new draft text, in which
only the lines of the edit differ (values are spliced by
:mod:`tujie.yamledit`; list entries are moved as whole blocks of lines),
and the loader's located Chinese errors for it, if any.

The draft is plain text kept by the browser page, so the server holds no
per-tab state; saving compares the file on disk with the hash taken when
the page was loaded.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import ReportError
from ..model import Report
from ..sheets import validate_text
from ..yamledit import YamlDocument, _last_scalar_end, _line_after
from ..yamlio import dotted, items, parse_yaml


def document(path: Path, text: str) -> YamlDocument:
    """A YamlDocument for draft text that is not (yet) the file at ``path``."""
    data, marks = parse_yaml(text, str(path))
    try:
        root = YAML(typ="rt").compose(text)
    except RuamelError as exc:
        raise ReportError(f"无法按原格式改写这个文件（{exc}）", file=str(path)) from None
    return YamlDocument(path, text.encode("utf-8"), text, data, marks, root)


@dataclass
class Checked:
    """A draft and what the loader says about it."""

    text: str
    report: Report | None  # None when invalid
    errors: list[ReportError]

    def as_json(self) -> list[dict]:
        return [{"field": e.field, "line": e.line, "message": e.message, "text": str(e)} for e in self.errors]


def check(text: str, source: Path) -> Checked:
    """Validate draft text exactly as the CLI would validate the file."""
    try:
        return Checked(text, validate_text(text, source), [])
    except ReportError as exc:
        return Checked(text, None, list(getattr(exc, "errors", None) or [exc]))


def set_value(source: Path, text: str, path: tuple, value) -> str:
    """The draft with one value changed (None: the key removed)."""
    return document(source, text).updated({path: value})


# ---------------------------------------------------------------- list operations

OPERATIONS = ("up", "down", "copy", "remove")


def list_operation(source: Path, text: str, path: tuple, operation: str) -> str:
    """Move, copy or remove the list entry at ``path`` (its last part is the index).

    Block lists move whole lines; one-line lists (``[a, b]``) move the
    values between the commas. The result is read back and must be the old
    data with exactly this change, else it is refused.
    """
    if operation not in OPERATIONS or not path or not isinstance(path[-1], int):
        raise ReportError("不认识的列表操作", file=str(source), field=dotted(path))
    doc = document(source, text)
    sequence = doc._node(path[:-1])
    index = path[-1]
    if not isinstance(sequence, SequenceNode) or not 0 <= index < len(sequence.value):
        raise ReportError("列表里没有这一项", file=str(source), field=dotted(path))
    other = index - 1 if operation == "up" else index + 1
    if operation in ("up", "down") and not 0 <= other < len(sequence.value):
        return text  # already first or last
    expected = copy.deepcopy(doc.data)
    entries = _get(expected, path[:-1])
    renames: dict[str, str] = {}
    if operation == "remove":
        entries.pop(index)
    elif operation == "copy":
        renames = _fresh_ids(doc.data, entries[index], is_section=path[-2:-1] == ("sections",))
        entries.insert(index + 1, _renamed(copy.deepcopy(entries[index]), renames))
    else:
        entries[index], entries[other] = entries[other], entries[index]
    spans = [_span(text, sequence, i) for i in range(len(sequence.value))]
    new = _apply(text, sequence, spans, index, other, operation, renames)
    got, _ = parse_yaml(new, str(source))
    if got != expected:
        raise ReportError("这一项无法自动移动或复制（写法较特殊），请在文件里手工修改", file=str(source),
                          field=dotted(path))
    return new


def _span(text: str, sequence: SequenceNode, i: int) -> tuple[int, int]:
    """Where entry ``i`` is in the text: its whole lines for a block list, the value for a flow list."""
    node = sequence.value[i]
    if sequence.flow_style:
        return node.start_mark.index, _end(node)
    start = text.rfind("\n", 0, node.start_mark.index) + 1  # the line of its "- "
    if i + 1 < len(sequence.value):
        nxt = sequence.value[i + 1].start_mark.index
        end = text.rfind("\n", 0, nxt) + 1
    else:
        end = _line_after(text, _last_scalar_end(node))
    return start, end


def _end(node: Node) -> int:
    if isinstance(node, (MappingNode, SequenceNode)) and node.flow_style:
        return node.end_mark.index
    return _last_scalar_end(node) if not isinstance(node, ScalarNode) else node.end_mark.index


def _apply(text: str, sequence: SequenceNode, spans, index: int, other: int, operation: str,
           renames: dict[str, str]) -> str:
    start, end = spans[index]
    piece = text[start:end]
    flow = sequence.flow_style
    if not flow and not piece.endswith("\n"):
        piece += "\n"
    if operation == "remove":
        if flow:
            if len(spans) == 1:
                return text[:start] + text[end:]
            if index + 1 < len(spans):
                return text[:start] + text[spans[index + 1][0]:]
            return text[: spans[index - 1][1]] + text[end:]
        return text[:start] + text[end:]
    if operation == "copy":
        copied = _rename_text(piece, renames)
        if flow:
            return text[:end] + ", " + copied + text[end:]
        tail = "" if text[start:end].endswith("\n") else "\n"
        return text[:end] + tail + copied + text[end:]
    first, second = sorted((index, other))
    (a0, a1), (b0, b1) = spans[first], spans[second]
    block_a, block_b = text[a0:a1], text[b0:b1]
    if not flow:
        if not block_b.endswith("\n"):  # the file's last line has no newline: keep it that way
            block_b, block_a = block_b + "\n", block_a.rstrip("\n")
    return text[:a0] + block_b + text[a1:b0] + block_a + text[b1:]


def _fresh_ids(data: dict, entry, is_section: bool = False) -> dict[str, str]:
    """New ids for the figures inside a copied entry, and for a copied section itself: ids are unique."""
    taken = {key for p, v in items(data, ()) if len(p) >= 2 and p[-2] == "figures" and isinstance(p[-1], str)
             for key in [p[-1]]}
    found = [p[-1] for p, v in items(entry, ()) if len(p) >= 2 and p[-2] == "figures" and isinstance(p[-1], str)
             and isinstance(v, dict)]
    renames = {}
    for fid in found:
        n = 2
        while f"{fid}_{n}" in taken:
            n += 1
        renames[fid] = f"{fid}_{n}"
        taken.add(renames[fid])
    if is_section and isinstance(entry, dict) and isinstance(entry.get("id"), str):
        sections = {s.get("id") for s in data.get("sections", []) if isinstance(s, dict)}
        sid, n = entry["id"], 2  # section ids take hyphens, not underscores (model.SECTION_ID)
        while f"{sid}-{n}" in sections:
            n += 1
        renames[sid] = f"{sid}-{n}"
    return renames


def _renamed(value, renames: dict[str, str]):
    if not renames:
        return value
    if isinstance(value, dict):
        return {renames.get(k, k) if isinstance(k, str) else k: _renamed(v, renames) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, renames) for v in value]
    if isinstance(value, str):
        if value in renames:
            return renames[value]  # bar: / stretch: name a figure by id
        return re.sub(r"\{([a-z][a-z0-9_]*)\}", lambda m: "{" + renames.get(m[1], m[1]) + "}", value)
    return value


def _rename_text(piece: str, renames: dict[str, str]) -> str:
    for old, new in renames.items():
        piece = re.sub(rf"(?<![A-Za-z0-9_]){re.escape(old)}(?![A-Za-z0-9_])", new, piece)
    return piece


def _get(data, path: tuple):
    for key in path:
        data = data[key]
    return data


# ---------------------------------------------------------------- revision helper


def bump_revision(source: Path, text: str, today: dt.date | None = None) -> str:
    """The draft with the revision label counted on (r1 → r2, demo1 → demo2, v → v2) and today's date."""
    doc = document(source, text)
    revision = doc.data.get("report", {}).get("revision", {}) if isinstance(doc.data.get("report"), dict) else {}
    label = str(revision.get("label", "r1")) if isinstance(revision, dict) else "r1"
    found = re.search(r"([0-9]+)$", label)
    bumped = f"{label[: found.start()]}{int(found[1]) + 1}" if found else f"{label}2"
    return doc.updated({("report", "revision", "label"): bumped,
                        ("report", "revision", "date"): today or dt.date.today()})
