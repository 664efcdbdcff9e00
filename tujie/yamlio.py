"""Read YAML the way non-programmers expect, remembering where each value was.

PyYAML's ``safe_load`` follows YAML 1.1: ``no`` becomes ``False``, ``010`` is
octal, duplicate keys silently keep the last value. Report files are edited
by hand and travel by chat, so this loader:

* resolves only ``true``/``false``, plain decimal integers and floats, ``null``
  and ISO dates; everything else stays text;
* rejects duplicate keys, tabs in indentation and any ``!tag`` that would
  construct objects;
* records the line and column of every value, keyed by its path, so later
  schema errors can point at the exact place to fix.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from .errors import ReportError

Path_ = tuple  # a path into the data: ("sections", 0, "title")


class _StrictResolver(yaml.resolver.BaseResolver):
    """Implicit types of YAML 1.2's core schema, minus its surprises."""


_StrictResolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_StrictResolver.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)
_StrictResolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)
_StrictResolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_StrictResolver.add_implicit_resolver(
    "tag:yaml.org,2002:timestamp", re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"), list("0123456789")
)


class _Loader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    yaml.constructor.SafeConstructor,
    _StrictResolver,
):
    def __init__(self, stream):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        _StrictResolver.__init__(self)


def _fail(file: str, mark, message: str, field: str | None = None) -> ReportError:
    return ReportError(message, file=file, line=mark.line + 1, column=mark.column + 1, field=field)


def dotted(path: tuple) -> str:
    """("sections", 0, "title") → "sections[0].title"."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _walk(node, path: tuple, file: str, marks: dict, loader: _Loader):
    """Turn a composed node into plain data, checking keys and recording marks."""
    marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _fail(file, key_node.start_mark, "不支持 YAML 合并键 <<，请直接写出各字段", dotted(path))
            if not isinstance(key_node, yaml.ScalarNode):
                raise _fail(file, key_node.start_mark, "字段名必须是简单文字", dotted(path))
            key = key_node.value
            if key in out:
                first = marks[path + (key,)][0]
                raise _fail(
                    file, key_node.start_mark,
                    f"字段“{key}”重复出现（第一次在第 {first} 行）；YAML 只会保留最后一个，请删掉多余的一个",
                    dotted(path + (key,)),
                )
            marks[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _walk(value_node, path + (key,), file, marks, loader)
            marks[path + (key,)] = (value_node.start_mark.line + 1, value_node.start_mark.column + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, path + (i,), file, marks, loader) for i, item in enumerate(node.value)]
    allowed = {
        "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp",
    }
    if node.tag not in allowed:
        raise _fail(file, node.start_mark, f"不支持的 YAML 标签 {node.tag}，请删掉“!”开头的标记", dotted(path))
    return loader.construct_object(node)


def decode(raw: bytes, file: str) -> str:
    """Bytes → text, accepting UTF-8 (with or without BOM) only."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        hint = ""
        try:
            raw.decode("gb18030")
            hint = "文件看起来是 GBK/GB18030 编码，"
        except UnicodeDecodeError:
            pass
        raise ReportError(f"{hint}请用 UTF-8 编码保存文件（在编辑器的“另存为”里选择 UTF-8）", file=file, line=line)


MAX_BYTES = 5 * 1024 * 1024


def load_yaml(path: Path, display_name: str | None = None) -> tuple[dict, dict]:
    """Read a report file; return (data, marks) where marks maps paths to (line, column)."""
    file = display_name or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ReportError(f"无法读取文件（{exc.strerror}）", file=file) from None
    if len(raw) > MAX_BYTES:
        raise ReportError(f"文件太大（{len(raw) // 1024} KB），报告数据文件不应超过 {MAX_BYTES // 1024} KB", file=file)
    text = decode(raw, file)
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip(" ")
        if stripped.startswith("\t"):
            raise ReportError("行首有制表符（Tab），YAML 只能用空格缩进", file=file, line=number, column=len(line) - len(stripped) + 1)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ReportError(f"YAML 格式错误：{_explain(exc)}", file=file,
                          line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise ReportError(f"YAML 格式错误：{exc}", file=file) from None
    finally:
        loader.dispose()
    if node is None:
        raise ReportError("文件是空的，没有任何报告数据", file=file)
    marks: dict = {}
    data = _walk(node, (), file, marks, loader)
    if not isinstance(data, dict):
        raise ReportError("文件最外层应是“字段: 值”的形式（report、page、sections 等）", file=file, line=1)
    return data, marks


def _explain(exc: yaml.MarkedYAMLError) -> str:
    problem = (exc.problem or "").strip()
    known = {
        "mapping values are not allowed here": "这里不能出现“:”，若文字里有英文冒号，请给整段文字加上引号",
        "found character '\\t' that cannot start any token": "出现了制表符（Tab），请改用空格",
        "could not find expected ':'": "缺少“:”，或者上一行的引号没有配对",
        "found undefined alias": "引用了未定义的锚点（*名称）",
        "did not find expected key": "缩进不一致，或者上一行的引号没有配对",
        "did not find expected '-' indicator": "列表项的缩进不一致",
        "found unexpected end of stream": "文件意外结束：引号或括号没有配对",
    }
    for english, chinese in known.items():
        if english in problem:
            return chinese
    return f"{problem or exc.context}（请检查这一行的缩进、冒号和引号）"
