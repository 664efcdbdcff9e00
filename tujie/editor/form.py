"""The editing form, generated from the report schema.

In: the report's plain data (as the YAML reader gives it, valid or not).
Out: a tree of :class:`Group` and :class:`Field` nodes, one field per
scalar in the data (and per optional scalar the data leaves out), each
named by its data path, labelled in Chinese and typed from the pydantic
annotation. Nothing here names a block type: blocks are found through
``model.BLOCK_TYPES`` by their ``type`` tag, so a new block type appears in
the form without editor code.

:func:`to_value` turns what was typed into the value written to the file:
a number where the field takes one and the text is a plain number, else
the text as typed, so the loader can say what is wrong with it in its own
words.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Annotated, Literal, Union

from pydantic import BaseModel

from .. import model
from ..diff import FIELD_NAMES
from ..yamlio import dotted

# labels the diff has no word for, or a better one in a form
LABELS = {
    "report": "报告信息", "revision": "修订", "page": "页面", "theme": "品牌颜色", "checks": "检查",
    "typography": "排版", "sections": "章节", "blocks": "内容块", "id": "编号", "title": "标题",
    "value": "数值", "unit": "单位", "qualifier": "修饰语", "label": "说明", "max": "上限",
    "items": "条目", "themes": "主题", "panels": "面板", "groups": "指标组", "principles": "原则",
    "targets": "目标", "areas": "任务", "text": "文字", "date": "日期", "note": "说明",
    "width_mm": "宽度（毫米）", "height_mm": "高度（毫米）", "primary": "主色", "accent": "强调色",
    "rgb": "颜色（#RRGGBB）", "cmyk": "印刷色（CMYK %）", "logo": "标志文件（SVG）", "design": "版面检查",
    "punctuation": "标点挤压", "han_latin_space": "中西文间距", "web_url": "网页版地址", "name": "名称",
    "design_": "", "series": "系列", "rows": "表格行", "columns": "表格列",
}
TYPE_NAMES = {"themes": "主题列表", "panels": "面板", "lead": "导语", "indicators": "指标", "principles": "原则",
              "targets": "预期目标", "areas": "任务", "kpis": "数字卡片", "timeline": "时间轴", "table": "表格",
              "comparison": "对比", "ranking": "排名", "quote": "引文", "image": "图片", "chart": "图表"}
FIGURE_ORDER = ("value", "unit", "qualifier", "label", "year", "max")  # how a figure reads: 突破 1100 亿元
LONG_TEXT = 40  # characters: a longer value gets a text area


@dataclass
class Field:
    """One input: a scalar at ``path``."""

    path: tuple
    label: str
    kind: str  # text, longtext, rich (text with {id} chips), number, int, bool, date, choice, cell
    value: object  # as in the data; None when the data leaves it out
    required: bool = False
    choices: tuple = ()
    chips: dict = field(default_factory=dict)  # rich text: figure id → what the chip shows
    readonly: bool = False
    in_list: bool = False  # an entry of a list: can be moved, copied, removed

    @property
    def name(self) -> str:
        return dotted(self.path)

    @property
    def shown(self) -> str:
        """The value as the input shows it."""
        if self.value is None:
            return ""
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        if isinstance(self.value, float):
            return model.fmt_number(self.value)
        if isinstance(self.value, dt.date):
            return self.value.isoformat()
        return str(self.value)


@dataclass
class Group:
    """A mapping or a list of the data, with its entries."""

    path: tuple
    label: str
    kind: str  # object, list, figure
    children: list = field(default_factory=list)
    in_list: bool = False
    flow: bool = False  # a list written on one line ([a, b]): its entries are edited in place

    @property
    def name(self) -> str:
        return dotted(self.path)


def build_form(data: dict) -> Group:
    """The whole form for a report's data."""
    root = Group((), "报告", "object")
    root.children = _fields(model.Report, data if isinstance(data, dict) else {}, ())
    return root


def find(node, path: tuple):
    """The node of the form at ``path`` (None if there is none)."""
    if node.path == path:
        return node
    for child in getattr(node, "children", []):
        if path[: len(child.path)] == child.path:
            found = find(child, path)
            if found is not None:
                return found
    return None


def _fields(cls: type[BaseModel], data: dict, path: tuple) -> list:
    out = []
    names = list(cls.model_fields)
    if issubclass(cls, model.Figure):
        names = [n for n in FIGURE_ORDER if n in names] + [n for n in names if n not in FIGURE_ORDER]
    chips = _chips(data) if "text" in names and issubclass(cls, model.Text) else {}
    for name in names:
        info = cls.model_fields[name]
        here = path + (name,)
        label = _label(cls, name)
        if name in data:
            node = _node(info.annotation, data[name], here, label, info.is_required())
            if node is not None:
                if isinstance(node, Field):
                    if name == "type" and issubclass(cls, model.Block):
                        node.readonly = True
                    if name == "text" and chips is not None and issubclass(cls, model.Text):
                        node.kind, node.chips = "rich", chips
                out.append(node)
        elif _scalar_kind(info.annotation) is not None and data:
            # an optional value the file leaves out: typing one adds the key
            kind, choices = _scalar_kind(info.annotation)
            out.append(Field(here, label, kind, None, info.is_required(), choices))
    return out


def _node(annotation, value, path: tuple, label: str, required: bool = False):
    annotation = _strip(annotation)
    origin = typing.get_origin(annotation)
    models = _models(annotation)
    if models and isinstance(value, dict):
        cls = _pick(models, value)
        if cls is None:
            return Group(path, label, "object", [Field(path + ("type",), "类型", "text", value.get("type"), readonly=True)])
        kind = "figure" if issubclass(cls, model.Figure) else "object"
        if issubclass(cls, model.Block):
            noun = TYPE_NAMES.get(value.get("type"), cls.noun or str(value.get("type")))
            title = value.get("title")
            label = f"{noun}：{title}" if isinstance(title, str) else noun
        elif isinstance(path[-1], int):
            label = _entry_label(cls, value, path[-1])
        elif kind == "figure":
            label = f"数字 {path[-1]}"
        return Group(path, label, kind, _fields(cls, value, path))
    if models and isinstance(value, str):  # a model that also reads from plain text (a colour "#1b5e20")
        return Field(path, label, "text", value, required)
    if origin in (list, tuple) and isinstance(value, list):
        item = typing.get_args(annotation)[0] if typing.get_args(annotation) else str
        group = Group(path, label, "list")
        for i, entry in enumerate(value):
            child = _node(item, entry, path + (i,), f"第{i + 1}项")
            if child is not None:
                child.in_list = True
                group.children.append(child)
        return group
    if origin is dict and isinstance(value, dict):
        item = typing.get_args(annotation)[1]
        group = Group(path, label, "object")
        for key, entry in value.items():
            child = _node(item, entry, path + (key,), str(key))
            if child is not None:
                group.children.append(child)
        return group
    scalar = _scalar_kind(annotation)
    if scalar is not None and not isinstance(value, (dict, list)):
        kind, choices = scalar
        if kind == "text" and isinstance(value, str) and (len(value) > LONG_TEXT or "\n" in value):
            kind = "longtext"
        return Field(path, label, kind, value, required, choices)
    # a value of the wrong shape (a list where text belongs…): shown read-only, the loader explains it
    return Field(path, label, "text", str(value), required, readonly=True)


def _strip(annotation):
    """Annotated[X, …] → X; X | None → X."""
    while True:
        if typing.get_origin(annotation) is Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if typing.get_origin(annotation) in (Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation


def _models(annotation) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if typing.get_origin(annotation) in (Union, types.UnionType):
        found = [_strip(a) for a in typing.get_args(annotation)]
        return [a for a in found if isinstance(a, type) and issubclass(a, BaseModel)]
    return []


def _pick(models: list[type[BaseModel]], value: dict):
    if len(models) == 1:
        return models[0]
    return model.BLOCK_TYPES.get(value.get("type")) if all(issubclass(m, model.Block) for m in models) else None


def _scalar_kind(annotation) -> tuple[str, tuple] | None:
    annotation = _strip(annotation)
    if typing.get_origin(annotation) is Literal:
        return "choice", tuple(typing.get_args(annotation))
    if typing.get_origin(annotation) in (Union, types.UnionType):
        args = {_strip(a) for a in typing.get_args(annotation)}
        if args <= {str, float, int}:
            return "cell", ()
        return None
    return {str: ("text", ()), float: ("number", ()), int: ("int", ()), bool: ("bool", ()),
            dt.date: ("date", ())}.get(annotation)


def _label(cls: type, name: str) -> str:
    return FIELD_NAMES.get(f"{cls.__name__}.{name}") or LABELS.get(name) or FIELD_NAMES.get(name) or name


def _entry_label(cls: type, value: dict, index: int) -> str:
    for key in ("title", "name", "keyword", "when", "id"):
        if isinstance(value.get(key), str) and value[key]:
            noun = getattr(cls, "noun", "") or ("章节" if cls is model.Section else "")
            return f"{noun}“{value[key]}”" if noun else f"“{value[key]}”"
    return f"第{index + 1}项"


def _chips(data: dict) -> dict:
    """Figure id → the chip's words (value and unit) for the figures a text names."""
    figures = data.get("figures") if isinstance(data.get("figures"), dict) else {}
    out = {}
    for fid, figure in figures.items():
        if isinstance(figure, dict):
            value = figure.get("value")
            shown = model.fmt_number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
            out[fid] = f"{shown}{figure.get('unit') or ''}"
    return out


_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?[0-9]*\.[0-9]+$")


def to_value(form_field: Field, typed: str):
    """What typing ``typed`` into ``form_field`` writes to the file (None removes an optional key)."""
    text = typed.strip() if form_field.kind not in ("longtext", "rich", "text") else typed
    if text == "" and not form_field.required:
        return None
    if form_field.kind in ("number", "int", "cell"):
        plain = text.strip()
        if _INT.match(plain):
            return int(plain)
        if _FLOAT.match(plain) and form_field.kind != "int":
            return float(plain)
        return plain  # not a number: kept as typed so the loader names the mistake
    if form_field.kind == "bool":
        return {"true": True, "false": False}.get(text, text)
    if form_field.kind == "date":
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError:
            return text.strip()
    return text
