"""Read YAML the way non-programmers expect, remembering where each value was.

PyYAML's ``safe_load`` follows YAML 1.1: ``no`` becomes ``False``, ``010`` is
octal, duplicate keys silently keep the last value. Report files are edited
by hand and travel by chat, so this loader:

* resolves only ``true``/``false``, plain decimal integers and floats, ``null``
  and ISO dates; everything else stays text;
* rejects duplicate keys, tabs in indentation and any ``!tag`` that would
  construct objects;
* records the line and column of every value, keyed by its path, so later
  schema errors can point at the exact place to fix;
* refuses what would hang or crash the reader instead of reporting: files
  over :data:`MAX_BYTES`, more than :data:`MAX_NODES` values (an anchor/alias
  "billion laughs" expands to millions), self-referencing aliases, nesting
  deeper than :data:`MAX_DEPTH` and control characters — each with a located
  Chinese message, never a Python exception.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path

import yaml

try:
    from yaml._yaml import CParser  # libyaml, bundled with PyYAML's wheels
except ImportError:  # pragma: no cover - a PyYAML built without it: the pure-Python reader alone
    CParser = None

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


MAX_BYTES = 1024 * 1024  # the largest real report is ~27 KB; parsing 1 MB takes a few seconds
MAX_NODES = 20_000  # values after expanding aliases; the default report has ~800
MAX_DEPTH = 40  # nesting levels; the schema needs 9


class _TooMany(Exception):
    """Raised inside the composer when the data grows past MAX_NODES."""


class _TooDeep(Exception):
    """Raised inside the composer when nesting passes MAX_DEPTH."""


class _Composer(yaml.composer.Composer):
    """PyYAML's composer, counting values and depth as it goes."""

    def compose_node(self, parent, index):
        # counted here so a huge list or a deep nest is refused before it is fully built
        self.composed += 1
        if self.composed > MAX_NODES:
            raise _TooMany(self.peek_event().start_mark)
        if self.depth >= MAX_DEPTH:
            raise _TooDeep(self.peek_event().start_mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Loader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    _Composer,
    yaml.constructor.SafeConstructor,
    _StrictResolver,
):
    """Pure Python: its error messages are the ones :data:`_EXPLANATIONS` translates."""

    def __init__(self, stream):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        _Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        _StrictResolver.__init__(self)
        self.composed = 0
        self.depth = 0


class _FastLoader(_Composer, CParser or object, yaml.constructor.SafeConstructor, _StrictResolver):
    """libyaml's scanner and parser under the same composer, constructor and resolver: the same
    data and marks, ~6× faster (0.06 s → 0.01 s for the default report). The events come from
    C, the nodes are built here, so the value and depth limits hold as they do in :class:`_Loader`
    (and libyaml's parser keeps its own stack, so deep nesting cannot exhaust C's)."""

    def __init__(self, stream):
        CParser.__init__(self, stream)
        _Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        _StrictResolver.__init__(self)
        self.composed = 0
        self.depth = 0


def _fail(file: str, mark, message: str, field: str | None = None) -> ReportError:
    return ReportError(message, file=file, line=mark.line + 1, column=mark.column + 1, field=field)


def dotted(path: tuple) -> str:
    """("sections", 0, "title") → "sections[0].title"."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_SCALAR_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp",
}
_COLLECTION_TAGS = {yaml.MappingNode: "tag:yaml.org,2002:map", yaml.SequenceNode: "tag:yaml.org,2002:seq"}


class _Walk:
    """Turn a composed node graph into plain data, checking keys and recording marks.

    Aliases make the graph a DAG (or, if an alias points at its own parent, a
    cycle); the walk expands them, so it counts values and tracks the nodes on
    the current path to stop both a "billion laughs" and a cycle at once.
    """

    def __init__(self, file: str, loader: _Loader):
        self.file, self.loader = file, loader
        self.marks: dict = {}
        self.count = 0
        self.seen: set[int] = set()  # ids of nodes already expanded once
        self.aliased = False
        self.open: set[int] = set()  # ids of nodes on the current path

    def node(self, node, path: tuple):
        self.count += 1
        if id(node) in self.seen:
            self.aliased = True
        self.seen.add(id(node))
        if self.count > MAX_NODES:
            raise self._too_many(node)
        if len(path) > MAX_DEPTH:
            raise _fail(self.file, node.start_mark, f"嵌套层数太多（超过 {MAX_DEPTH} 层），请检查缩进", dotted(path))
        self.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            if id(node) in self.open:
                raise _fail(self.file, node.start_mark,
                            "别名（*名称）引用了包含它自己的锚点（&名称），数据会无限展开；请直接写出各项", dotted(path))
            if node.tag != _COLLECTION_TAGS[type(node)]:
                raise _fail(self.file, node.start_mark, f"不支持的 YAML 标签 {_short_tag(node.tag)}，请删掉“!”开头的标记", dotted(path))
            self.open.add(id(node))
            try:
                return self.mapping(node, path) if isinstance(node, yaml.MappingNode) else [
                    self.node(item, path + (i,)) for i, item in enumerate(node.value)]
            finally:
                self.open.discard(id(node))
        return self.scalar(node, path)

    def mapping(self, node, path: tuple) -> dict:
        out: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _fail(self.file, key_node.start_mark, "字段名必须是简单文字", dotted(path))
            key = key_node.value
            if key == "<<" or key_node.tag == "tag:yaml.org,2002:merge":
                raise _fail(self.file, key_node.start_mark, "不支持 YAML 合并键 <<，请直接写出各字段", dotted(path))
            if key in out:
                first = self.marks[path + (key,)][0]
                raise _fail(
                    self.file, key_node.start_mark,
                    f"字段“{key}”重复出现（第一次在第 {first} 行）；YAML 只会保留最后一个，请删掉多余的一个",
                    dotted(path + (key,)),
                )
            self.marks[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = self.node(value_node, path + (key,))
            self.marks[path + (key,)] = (value_node.start_mark.line + 1, value_node.start_mark.column + 1)
        return out

    def scalar(self, node, path: tuple):
        if node.tag not in _SCALAR_TAGS:
            raise _fail(self.file, node.start_mark, f"不支持的 YAML 标签 {_short_tag(node.tag)}，请删掉“!”开头的标记", dotted(path))
        try:
            return self.loader.construct_object(node)
        except (ValueError, OverflowError, yaml.constructor.ConstructorError):
            kind = {"tag:yaml.org,2002:timestamp": "日期不存在或写法不对，应写成 2026-11-29 这样的年-月-日",
                    "tag:yaml.org,2002:int": "整数太长或写法不对"}.get(node.tag, "这个值无法读取")
            raise _fail(self.file, node.start_mark, f"{kind}，现在是“{node.value}”", dotted(path)) from None

    def _too_many(self, node) -> ReportError:
        if self.aliased:
            return _fail(self.file, node.start_mark,
                         f"锚点和别名（&名称、*名称）展开后数据超过 {MAX_NODES} 项，像是“别名炸弹”；请直接写出各项，不要层层引用")
        return _too_many_values(self.file, node.start_mark)


def _too_many_values(file: str, mark) -> ReportError:
    return _fail(file, mark, f"数据项太多（超过 {MAX_NODES} 项），报告数据不会有这么多条目；请检查是否误粘贴了大段内容")


def _short_tag(tag: str) -> str:
    """tag:yaml.org,2002:python/name:os.system → !!python/name:os.system"""
    return "!!" + tag.split(":", 2)[-1] if tag.startswith("tag:yaml.org,2002:") else tag


def decode(raw: bytes, file: str) -> str:
    """Bytes → text, accepting UTF-8 (with or without BOM) only."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReportError("文件是 UTF-16 编码（Windows 记事本的“Unicode”），请用 UTF-8 编码保存文件"
                          "（在编辑器的“另存为”里选择 UTF-8）", file=file, line=1)
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


_OS_ERRORS = {
    errno.ENOENT: "文件不存在，请检查文件名和路径",
    errno.EACCES: "没有读取这个文件的权限",
    errno.EISDIR: "这是一个文件夹，不是报告数据文件",
}


def read_limited(path: Path, file: str) -> bytes:
    """The file's bytes, refusing non-files and anything over MAX_BYTES before reading it all."""
    try:
        if path.exists() and not path.is_file() and not path.is_dir():
            raise ReportError("这不是普通文件（可能是设备或管道），请给出报告数据文件", file=file)
        with path.open("rb") as stream:
            raw = stream.read(MAX_BYTES + 1)
    except OSError as exc:
        reason = _OS_ERRORS.get(exc.errno, f"无法读取文件（{exc.strerror}）")
        raise ReportError(reason, file=file) from None
    if len(raw) > MAX_BYTES:
        size = path.stat().st_size
        raise ReportError(
            f"文件太大（{size / 1024 / 1024:.1f} MB），报告数据文件不应超过 {MAX_BYTES // 1024} KB"
            f"（现有报告约 30 KB）；请检查是否误粘贴了大段内容或选错了文件", file=file)
    return raw


def load_yaml(path: Path, display_name: str | None = None) -> tuple[dict, dict]:
    """Read a report file; return (data, marks) where marks maps paths to (line, column)."""
    file = display_name or str(path)
    return parse_yaml(decode(read_limited(path, file), file), file)


def parse_yaml(text: str, file: str) -> tuple[dict, dict]:
    """Report text (already decoded) → (data, marks), with the same checks as :func:`load_yaml`."""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip(" ")
        if stripped.startswith("\t"):
            raise ReportError("行首有制表符（Tab），YAML 只能用空格缩进", file=file, line=number, column=len(line) - len(stripped) + 1)
    if CParser is not None and not yaml.reader.Reader.NON_PRINTABLE.search(text):
        try:
            return _parse(text, file, _FastLoader)
        except Exception:  # noqa: BLE001 - any problem is reported in the pure-Python reader's words, below
            pass
    return _parse(text, file, _Loader)


def _parse(text: str, file: str, loader_type) -> tuple[dict, dict]:
    loader = None
    try:
        loader = loader_type(text)  # the pure-Python reader checks for control characters right here
        node = loader.get_single_node()
        if node is None:
            raise ReportError("文件是空的，没有任何报告数据", file=file)
        walk = _Walk(file, loader)
        data = walk.node(node, ())
    except yaml.reader.ReaderError as exc:
        line, column = _position(text, exc.position)
        raise ReportError(f"有不可见的控制字符（{_code_point(exc.character)}），请删掉它（常见于从网页或其他软件复制的文字）",
                          file=file, line=line, column=column) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        quote = _unpaired_quote(text, mark.line + 1 if mark else None)
        if quote:  # the usual cause far above the place where the parser gave up
            raise ReportError("YAML 格式错误：这一行的英文双引号“\"”没有配对（只有开头、没有结尾，或反过来）；"
                              "请补上或删掉", file=file, line=quote) from None
        raise ReportError(f"YAML 格式错误：{_explain(exc)}", file=file,
                          line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise ReportError(f"YAML 格式错误：{exc}", file=file) from None
    except _TooMany as exc:
        raise _too_many_values(file, exc.args[0]) from None
    except _TooDeep as exc:
        raise _fail(file, exc.args[0], f"嵌套层数太多（超过 {MAX_DEPTH} 层），请检查缩进和括号") from None
    except RecursionError:
        raise ReportError(f"嵌套层数太多（超过 {MAX_DEPTH} 层），请检查缩进和括号", file=file) from None
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(data, dict):
        raise ReportError("文件最外层应是“字段: 值”的形式（report、page、sections 等）", file=file, line=1)
    return data, walk.marks


def _unpaired_quote(text: str, upto: int | None) -> int | None:
    """First line (up to ``upto``) with an odd number of unescaped ASCII double quotes outside a comment."""
    for number, line in enumerate(text.splitlines()[: upto or None], 1):
        code = re.sub(r'\\.', "", line)
        code = re.sub(r"(^|\s)#.*$", "", code) if code.count('"') % 2 else code
        if code.count('"') % 2:
            return number
    return None


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based (line, column) of a character index."""
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def _code_point(char) -> str:
    code = char if isinstance(char, int) else ord(char)
    return f"U+{code:04X}"


_EXPLANATIONS = {  # PyYAML's wording → what to do, in the order they are tried
    "mapping values are not allowed here": "这里不能出现“:”，若文字里有英文冒号，请给整段文字加上引号",
    "found character '\\t' that cannot start any token": "出现了制表符（Tab），请改用空格",
    "that cannot start any token": "这里出现了 YAML 的保留符号（@ ` % 等）：若它是一段文字的开头，请给整段文字加上引号",
    "could not find expected ':'": "缺少“:”，或者上一行的引号没有配对",
    "found undefined alias": "引用了未定义的锚点（*名称）",
    "found duplicate anchor": "同一个锚点名（&名称）定义了两次",
    "did not find expected key": "缩进不一致，或者上一行的引号没有配对",
    "did not find expected '-' indicator": "列表项的缩进不一致",
    "expected <block end>": "缩进不一致：这一行比同级的字段缩进多或少",
    "found unexpected end of stream": "文件意外结束：引号或括号没有配对",
    "expected ',' or ']'": "方括号 [ ] 没有配对，或者列表项之间少了逗号",
    "expected ',' or '}'": "花括号 { } 没有配对，或者字段之间少了逗号",
    "found unknown escape character": "双引号里的反斜杠“\\”后面跟了不认识的字符；请写成“\\\\”，或改用单引号",
    "but found another document": "文件里有第二个用“---”分开的文档，一个文件只能写一份报告",
    "expected alphabetic or numeric character": "锚点或别名（& 或 * 后面）的名字不对，或者文字以 & * 开头需要加引号",
    "found unexpected ':'": "这里不能出现“:”，若文字里有英文冒号，请给整段文字加上引号",
}


def _explain(exc: yaml.MarkedYAMLError) -> str:
    problem = (exc.problem or "").strip()
    for english, chinese in _EXPLANATIONS.items():
        if english in problem:
            return chinese
    return f"{problem or exc.context}（请检查这一行的缩进、冒号和引号）"


def items(value, path: tuple = ()):
    """Every (path, value) of plain YAML data (dicts, lists, scalars), depth first in document order."""
    yield path, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from items(child, path + (key,))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from items(child, path + (i,))
