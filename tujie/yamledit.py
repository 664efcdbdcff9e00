"""Change values in a report file without touching anything else in it.

In: a report file and the values to change, each named by its path in the
data (``("sections", 0, "title")``) or, for figures, by figure id and field.
Out: the new text of the file, in which only the lines holding a changed
value differ — comments, blank lines, key order, quoting, flow mappings
(``{value: 1100, unit: 亿元}``) and indentation of every other line are kept
byte for byte — and, on request, that text written back safely.

How: ruamel.yaml composes the file into nodes that know where each scalar
starts and ends in the text. Each change is spliced into the original text
at exactly that place (a value replaced, a key appended to its mapping or
removed from it). Re-emitting the whole document instead, even with
ruamel's round-trip dumper, re-indents and re-wraps lines it did not need
to touch whenever a file's style differs from the dumper's settings; a
splice cannot. Every result is read back with the project's own strict
reader (:mod:`tujie.yamlio`) and compared with the intended data, so a
splice that went wrong is refused rather than written.

Writing is atomic (a temporary file in the same folder, renamed over the
original), keeps the previous version in ``.history/`` beside the file
(timestamped), and refuses to overwrite a file that changed on disk since it
was read (another tab, an editor, a ``git pull``): the content hash taken at
read time must still match.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import ReportError
from .yamlio import decode, dotted, items, parse_yaml, read_limited

HISTORY = ".history"  # backups of previous versions, beside the file
BOM = "\ufeff".encode("utf-8")


class FileChanged(ReportError):
    """The file on disk is no longer the one that was read: writing would lose someone's edit."""


@dataclass
class _Splice:
    start: int
    end: int
    text: str
    order: int  # keeps several insertions at one place in the order they were asked for
    depth: int = 0  # at one place, a key of an inner mapping goes before one of its parent


@dataclass
class YamlDocument:
    """A report file as read: its bytes, text, plain data and composed nodes."""

    path: Path
    raw: bytes
    text: str
    data: dict
    marks: dict
    root: Node = field(repr=False)

    @classmethod
    def read(cls, path: Path) -> "YamlDocument":
        """Read and parse a report file; bad YAML raises the loader's located ReportError."""
        file = str(path)
        raw = read_limited(path, file)
        text = decode(raw, file)
        data, marks = parse_yaml(text, file)  # the project's checks and messages come first
        try:
            root = YAML(typ="rt").compose(text)
        except RuamelError as exc:  # yamlio accepted it, so this is ruamel disagreeing: say so plainly
            raise ReportError(f"无法按原格式改写这个文件（{exc}），请手工修改", file=file) from None
        return cls(path, raw, text, data, marks, root)

    @property
    def digest(self) -> str:
        """Content hash of the file as read, to notice a change on disk before writing."""
        return hashlib.sha256(self.raw).hexdigest()

    # -- finding things

    def figure_paths(self) -> dict[str, tuple]:
        """Path of every figure mapping by figure id, in document order."""
        found: dict[str, tuple] = {}
        for path, value in items(self.data, ()):
            if len(path) >= 2 and path[-2] == "figures" and isinstance(value, dict) and isinstance(path[-1], str):
                found.setdefault(path[-1], path)
        return found

    def figure_edits(self, changes: dict[str, dict[str, object]]) -> dict[tuple, object]:
        """{figure id: {field: value}} → {path: value}, for :meth:`updated`."""
        paths = self.figure_paths()
        edits: dict[tuple, object] = {}
        for fid, fields in changes.items():
            if fid not in paths:
                raise ReportError(f"报告里没有编号为 {fid} 的数字", file=str(self.path))
            for name, value in fields.items():
                edits[paths[fid] + (name,)] = value
        return edits

    # -- changing things

    def updated(self, edits: dict[tuple, object]) -> str:
        """The file's text with each path set to its value (None removes the key); nothing else changes.

        Values are scalars: text, numbers, true/false, dates. A path whose
        last key is missing from its mapping is added at the end of it.
        """
        splices = []
        for order, (path, value) in enumerate(edits.items()):
            splice = self._splice(path, value, order)
            splice.depth = len(path)
            splices.append(splice)
        text = self.text
        for splice in sorted(splices, key=lambda s: (s.start, -s.depth, s.order), reverse=True):
            text = text[: splice.start] + splice.text + text[splice.end :]
        self._verify(text, edits)
        return text

    def _splice(self, path: tuple, value, order: int) -> _Splice:
        if not path:
            raise ValueError("empty path")
        parent = self._node(path[:-1])
        key = path[-1]
        if isinstance(parent, SequenceNode):
            if not isinstance(key, int) or not 0 <= key < len(parent.value) or value is None:
                raise self._refuse(path, "列表里没有这一项")
            return self._replace(parent.value[key], value, parent.flow_style, order, path)
        if not isinstance(parent, MappingNode):
            raise self._refuse(path, "上一级不是“字段: 值”的形式")
        for k, (key_node, value_node) in enumerate(parent.value):
            if key_node.value == key:
                if value is None:
                    return self._remove(parent, k, order, path)
                return self._replace(value_node, value, parent.flow_style, order, path)
        if value is None:
            return _Splice(0, 0, "", order)  # removing what is not there
        return self._append(parent, str(key), value, order, path)

    def _node(self, path: tuple) -> Node:
        node = self.root
        for key in path:
            if isinstance(node, MappingNode):
                node = next((v for k, v in node.value if k.value == key), None)
            elif isinstance(node, SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
                node = node.value[key]
            else:
                node = None
            if node is None:
                raise self._refuse(path, "文件里没有这个位置")
        return node

    def _replace(self, node: Node, value, flow: bool, order: int, path: tuple) -> _Splice:
        if not isinstance(node, ScalarNode):
            raise self._refuse(path, "这里是一组内容，不是单个值")
        style = node.style if node.style in ("'", '"') else None
        end = node.end_mark.index
        while node.style in ("|", ">") and end > node.start_mark.index and self.text[end - 1] in "\r\n":
            end -= 1  # a block scalar owns its line break; the quoted value that replaces it does not
        return _Splice(node.start_mark.index, end, scalar(value, flow, style), order)

    def _append(self, mapping: MappingNode, key: str, value, order: int, path: tuple) -> _Splice:
        if mapping.flow_style:
            item = f"{key}: {scalar(value, True)}"
            if not mapping.value:  # {} → {key: value}
                return _Splice(mapping.start_mark.index + 1, mapping.start_mark.index + 1, item, order)
            at = mapping.value[-1][1].end_mark.index
            return _Splice(at, at, ", " + item, order)
        if not mapping.value:
            raise self._refuse(path, "无法在空的内容里添加字段")
        indent = mapping.value[0][0].start_mark.column
        at = _line_after(self.text, _last_scalar_end(mapping))
        newline = "\r\n" if "\r\n" in self.text else "\n"
        lead = "" if at == 0 or self.text[at - 1] == "\n" else newline  # the file ends without a newline
        return _Splice(at, at, f"{lead}{' ' * indent}{key}: {scalar(value, False)}{newline}", order)

    def _remove(self, mapping: MappingNode, k: int, order: int, path: tuple) -> _Splice:
        entries = mapping.value
        key_node, value_node = entries[k]
        if len(entries) == 1:
            raise self._refuse(path, "这是这里唯一的字段，不能删除")
        if mapping.flow_style:
            if k > 0:  # ", key: value" goes with the comma before it
                return _Splice(entries[k - 1][1].end_mark.index, value_node.end_mark.index, "", order)
            return _Splice(key_node.start_mark.index, entries[k + 1][0].start_mark.index, "", order)
        start = self.text.rfind("\n", 0, key_node.start_mark.index) + 1
        if self.text[start : key_node.start_mark.index].strip():  # "- key: value": keep the dash
            if k + 1 == len(entries):
                raise self._refuse(path, "无法删除这个字段，请手工修改")
            return _Splice(key_node.start_mark.index, entries[k + 1][0].start_mark.index, "", order)
        return _Splice(start, _line_after(self.text, _last_scalar_end(value_node)), "", order)

    def _verify(self, text: str, edits: dict[tuple, object]) -> None:
        """Read the result back; it must be the old data with exactly these edits."""
        expected = copy.deepcopy(self.data)
        for path, value in edits.items():
            parent = expected
            for key in path[:-1]:
                parent = parent[key]
            if value is None:
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = value
        try:
            got, _ = parse_yaml(text, str(self.path))
        except ReportError as exc:
            raise ReportError(f"按原格式改写后文件无法读取（{exc.message}），没有写入；请手工修改",
                              file=str(self.path), line=exc.line) from None
        if got != expected:
            wrong = next((dotted(p) for p, _ in items(expected, ()) if _get(got, p) != _get(expected, p)), "")
            raise ReportError("按原格式改写后数据与预期不符（可能用了锚点和别名），没有写入；请手工修改",
                              file=str(self.path), field=wrong or None)

    def _refuse(self, path: tuple, why: str) -> ReportError:
        line = self.marks.get(path[:-1], (None,))[0] if path else None
        return ReportError(f"无法修改：{why}", file=str(self.path), line=line, field=dotted(path))

    # -- writing

    def write(self, text: str) -> Path:
        """Replace the file with ``text`` atomically, keeping a backup; return the backup's path.

        Refuses (FileChanged) when the file on disk is no longer the one read.
        Afterwards this document describes the new file, so it can be edited again.
        """
        new_raw = (BOM if self.raw.startswith(BOM) else b"") + text.encode("utf-8")
        folder = self.path.parent
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(new_raw)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.chmod(tmp, self.path.stat().st_mode & 0o7777)
            except OSError:
                pass
            self._check_unchanged()  # as late as possible: the window for a lost edit stays tiny
            backup = _backup(self.path, self.raw)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        fresh = YamlDocument.read(self.path)
        self.raw, self.text, self.data, self.marks, self.root = fresh.raw, fresh.text, fresh.data, fresh.marks, fresh.root
        return backup

    def _check_unchanged(self) -> None:
        try:
            now = self.path.read_bytes()
        except OSError:
            now = b""
        if hashlib.sha256(now).hexdigest() != self.digest:
            raise FileChanged("文件在读取之后被修改过（可能是另一个窗口、编辑器或 git pull），为了不覆盖那些修改，"
                              "这次没有写入；请重新打开或重新导入后再保存", file=str(self.path))


def update_file(path: Path, edits: dict[tuple, object]) -> tuple[str, str, Path | None]:
    """Read, change and write one file; return (old text, new text, backup path or None if unchanged)."""
    doc = YamlDocument.read(path)
    old = doc.text
    new = doc.updated(edits)
    return old, new, (doc.write(new) if new != old else None)


def _backup(path: Path, raw: bytes) -> Path:
    """Keep the previous version as .history/<name>.<date-time>.yaml beside the file."""
    folder = path.parent / HISTORY
    folder.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = folder / f"{path.stem}.{stamp}{path.suffix}"
    n = 1
    while target.exists():  # two saves within a second
        n += 1
        target = folder / f"{path.stem}.{stamp}-{n}{path.suffix}"
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    with os.fdopen(fd, "wb") as handle:
        handle.write(raw)
    os.replace(tmp, target)
    return target


# ---------------------------------------------------------------------------
# Scalars as the project's reader will read them back

_NOT_PLAIN = re.compile(r"^[\s\-?:,\[\]{}#&*!|>'\"%@`]|\s$|: |\s#|:$|[\n\r\t]")
_FLOW_CHARS = re.compile(r"[,\[\]{}]")


def scalar(value, flow: bool, style: str | None = None) -> str:
    """One value written as YAML: plain where that reads back the same, else quoted.

    ``style`` keeps the quotes the old value had (``'`` or ``"``) when the new one is text.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise TypeError(f"not a scalar: {value!r}")
    if style == "'" and "\n" not in value:
        return "'" + value.replace("'", "''") + "'"
    if style != '"' and _plain_ok(value, flow):
        return value
    return json.dumps(value, ensure_ascii=False)  # JSON's escapes are all valid in YAML double quotes


def _number(value: float) -> str:
    """1120.0 → 1120, 3.97 → 3.97, never an exponent (the reader would take 1e-05 for text)."""
    if value.is_integer():
        return str(int(value))
    text = repr(value)
    return text if "e" not in text and "E" not in text else f"{value:.15f}".rstrip("0")


def _plain_ok(text: str, flow: bool) -> bool:
    """True if ``text`` unquoted reads back as this very text, here and in YAML 1.1 readers."""
    if not text or _NOT_PLAIN.search(text) or (flow and _FLOW_CHARS.search(text)):
        return False
    sample = f"k: {{a: {text}, b: 1}}\n" if flow else f"k: {text}\n"
    try:
        ours = parse_yaml(sample, "<check>")[0]["k"]
        theirs = yaml.safe_load(sample)["k"]
    except (ReportError, yaml.YAMLError, TypeError, KeyError):
        return False
    if flow:
        return ours == theirs == {"a": text, "b": 1}
    return ours == theirs == text


# ---------------------------------------------------------------------------
# Small helpers over nodes and plain data


def _last_scalar_end(node: Node) -> int:
    """Where the last scalar under a node ends in the text (the end of its last line of content)."""
    if isinstance(node, ScalarNode):
        return node.end_mark.index
    if isinstance(node, MappingNode) and node.value:
        return _last_scalar_end(node.value[-1][1])
    if isinstance(node, SequenceNode) and node.value:
        return _last_scalar_end(node.value[-1])
    return node.end_mark.index


def _line_after(text: str, index: int) -> int:
    """Start of the line after the one ``index`` is on (the end of the text if there is none)."""
    if index > 0 and text[index - 1] == "\n":
        return index
    newline = text.find("\n", index)
    return len(text) if newline < 0 else newline + 1




def _get(data, path: tuple):
    for key in path:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return data


_MISSING = object()
