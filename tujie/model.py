"""The report schema as typed models (pydantic).

A report is metadata, a page setup and a list of sections; a section is a
list of typed blocks (themes, panels, indicators, charts…). Templates get
these objects and nothing else, so a second report with other sections and
figures renders without code changes.

Figures are data: value, unit, qualifier, year and label. Running text refers
to them by ``{id}`` placeholders, so a revised value changes the sentence, the
big-number card and the chart together.
"""

from __future__ import annotations

import datetime as dt
import re
import typing
from collections import Counter
from typing import Annotated, ClassVar, Iterator, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from . import icons

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
FIGURE_ID = r"^[a-z][a-z0-9_]*$"  # also column keys and table cells
SECTION_ID = r"^[a-z][a-z0-9-]*$"
ICON = r"^[a-z0-9-]+$"
COLOUR = r"^#[0-9a-fA-F]{6}$"
REVISION_LABEL = r"^[A-Za-z0-9._-]+$"
WEB_URL = r"^https?://[!-~]+$"
LOGO = r"(?i)^[^\x00]+\.svg$"
RELATIVE_PATH = r"^[^:\\]+$"
COMPUTE = r"^\s*[a-z][a-z0-9_]*\s*[/÷]\s*[a-z][a-z0-9_]*\s*$"
LAYOUT_NAME = r"^[a-z][a-z0-9_-]*$"
# what a value failing each pattern should look like, in the words of the loader's message (tujie/load.py)
PATTERN_HINTS = {
    FIGURE_ID: "编号只能用小写英文字母、数字和下划线（_），并以字母开头，例如 gdp_2024",
    SECTION_ID: "章节编号只能用小写英文字母、数字和连字符（-），并以字母开头，例如 review",
    ICON: "图标名只能用小写英文字母、数字和连字符（-），例如 circle-check",
    COLOUR: "颜色应写成 # 加六位十六进制数，例如 #C8102E",
    REVISION_LABEL: "只能用英文字母、数字、点、下划线和连字符，例如 v2",
    WEB_URL: "应为以 http:// 或 https:// 开头的网址，不能有空格或中文",
    LOGO: "应为报告文件旁边的 .svg 文件名",
    COMPUTE: "计算列应写成“列名 / 列名”，例如 actual / target",
    LAYOUT_NAME: "版式名只能用小写英文字母、数字、下划线和连字符，是 layouts/ 里的文件夹名，例如 booklet",
    RELATIVE_PATH: "应为报告文件夹里的相对路径，例如 images/map.svg（不能是网址或盘符）",
}

# an icon of the set (tujie/icons.py): the pattern first, for its hint; then the name looked up
Icon = Annotated[str, Field(pattern=ICON), AfterValidator(icons.check)]


class Strict(BaseModel):
    """Base: unknown fields are errors, and text is never a number in disguise."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Figure(Strict):
    """One number of the report, with everything needed to show it."""

    value: float = Field(ge=0, le=1e9)
    unit: str = ""
    label: str = Field(min_length=1)
    qualifier: str | None = None  # 突破 / 达到 / 以上 / 以内 / 控制在 …
    year: int | None = Field(default=None, ge=1900, le=2100)
    max: float | None = Field(default=None, gt=0)  # a hard ceiling, e.g. 100 for shares

    @model_validator(mode="after")
    def _within_max(self) -> "Figure":
        if self.max is not None and self.value > self.max:
            raise ValueError(f"数值 {self.display} 超过了上限 {fmt_number(self.max)}")
        return self

    @property
    def display(self) -> str:
        return fmt_number(self.value)

    @property
    def titled(self) -> str:
        """The label with its year before it (“2021年 地区生产总值”), unless the label already
        starts with the year (a figure of a series labelled just “2021年”)."""
        if self.year is None or self.label.startswith(str(self.year)):
            return self.label
        return f"{self.year}年 {self.label}"


def fmt_number(value: float) -> str:
    """Keep the report's notation: 1100, 3.97, 0.01 (no trailing .0)."""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


class Text(Strict):
    """Running text with ``{id}`` figure placeholders and the figures they name."""

    text: str = Field(min_length=1)
    figures: dict[Annotated[str, Field(pattern=FIGURE_ID)], Figure] = {}

    @model_validator(mode="after")
    def _placeholders_match(self) -> "Text":
        used = PLACEHOLDER.findall(self.text)
        missing = [name for name in used if name not in self.figures]
        if missing:
            raise ValueError(f"文字里的 {{{missing[0]}}} 在本条的 figures 里没有定义")
        unused = [name for name in self.figures if name not in used]
        if unused and not getattr(self, "_allow_unused", False):
            raise ValueError(f"figures 里的 {unused[0]} 没有在文字中用 {{{unused[0]}}} 引用")
        return self

    def parts(self) -> Iterator[tuple[str, Figure | None]]:
        """Split into (text, None) and (id, Figure) pieces, in reading order."""
        pos = 0
        for match in PLACEHOLDER.finditer(self.text):
            if match.start() > pos:
                yield self.text[pos : match.start()], None
            yield match.group(1), self.figures[match.group(1)]
            pos = match.end()
        if pos < len(self.text):
            yield self.text[pos:], None

    @property
    def plain(self) -> str:
        return "".join(f.display + f.unit if f else s for s, f in self.parts())

    self_named: ClassVar[bool] = False  # "主题“…”第3条": a plain text is named by its container too

    def diff_label(self, index: int) -> str:
        return f"第{index + 1}条"


# ---------------------------------------------------------------- blocks
#
# A block type is a subclass of Block with a literal ``type``; defining the
# class registers it (``BLOCK_TYPES``, the ``AnyBlock`` union). Its template is
# ``blocks/<type>.html.j2`` in the layout, its look the layout's CSS. Nothing
# else names block types: figures, texts and strings are found by walking the
# models (:func:`walk`), and the diff asks each object for its own label.


class Block(Strict):
    """Base of every block type."""

    type: str
    # how the diff names a list entry of this class (``index`` counts from 0); None: by position
    def diff_label(self, index: int) -> str | None:
        title = getattr(self, "title", None)
        return f"{self.noun}“{title}”" if title else (self.noun or None)

    noun: ClassVar[str] = ""  # the block's name in Chinese, e.g. 图表
    self_named: ClassVar[bool] = True  # its label says enough without its container's


class Item(Strict):
    """Base of list entries inside blocks (a theme, a panel, a milestone…)."""

    noun: ClassVar[str] = ""
    self_named: ClassVar[bool] = True

    def diff_label(self, index: int) -> str:
        name = getattr(self, "title", None) or getattr(self, "name", None)
        return f"{self.noun}“{name}”" if name else f"{self.noun or ''}第{index + 1}项"


class Theme(Item):
    noun: ClassVar[str] = "主题"
    title: str
    icon: Icon = "circle-check"
    items: list[Text] = Field(min_length=1)


class ThemesBlock(Block):
    type: Literal["themes"]
    noun: ClassVar[str] = ""
    themes: list[Theme] = Field(min_length=1)


class Panel(Text, Item):
    self_named: ClassVar[bool] = True
    noun: ClassVar[str] = "面板"
    title: str
    name: str = Field(min_length=1, max_length=4)
    icon: Icon = "palette"

    def diff_label(self, index: int) -> str:
        return f"“{self.name}”面板"


class PanelsBlock(Block):
    type: Literal["panels"]
    panels: list[Panel] = Field(min_length=1, max_length=6)


class LeadBlock(Block, Text):
    type: Literal["lead"]
    noun: ClassVar[str] = "导语"


class IndicatorGroup(Text, Item):
    self_named: ClassVar[bool] = True
    name: str = Field(min_length=1, max_length=6)
    icon: Icon = "target"
    intent: str

    def diff_label(self, index: int) -> str:
        return f"“{self.name}”指标组"


class IndicatorsBlock(Block):
    type: Literal["indicators"]
    noun: ClassVar[str] = "指标"
    title: str
    groups: list[IndicatorGroup] = Field(min_length=1)


class Principle(Item):
    keyword: str
    text: str

    def diff_label(self, index: int) -> str:
        return f"原则“{self.keyword}”"


class PrinciplesBlock(Block):
    type: Literal["principles"]
    principles: list[Principle] = Field(min_length=1, max_length=10)


class Target(Text, Item):
    self_named: ClassVar[bool] = True
    bar: str | None = None  # id of the figure drawn as this target's bar
    stretch: str | None = None  # id of the stretch (力争) figure

    @model_validator(mode="after")
    def _refs_local(self) -> "Target":
        for ref in (self.bar, self.stretch):
            if ref is not None and ref not in self.figures:
                raise ValueError(f"{ref} 不是本条 figures 里的编号")
        return self

    def diff_label(self, index: int) -> str:
        return f"目标第{index + 1}条"

    @property
    def main(self) -> Figure | None:
        """The figure shown large: the bar's, else the first."""
        return self.figures[self.bar] if self.bar else next(iter(self.figures.values()), None)


class TargetsBlock(Block):
    type: Literal["targets"]
    targets: list[Target] = Field(min_length=1)


class Area(Item):
    noun: ClassVar[str] = "任务"
    title: str
    icon: Icon = "circle-check"
    actions: list[str] = Field(min_length=1)


class AreasBlock(Block):
    type: Literal["areas"]
    areas: list[Area] = Field(min_length=1, max_length=12)


class Change(Strict):
    """A comparison printed beside a headline number, e.g. 同比 +8.3%."""

    label: str = Field(min_length=1, max_length=8)  # 同比 / 比上年 / 较2020年
    value: float = Field(ge=-1e6, le=1e6)  # signed: -2.1 is a fall
    unit: str = "%"

    @property
    def display(self) -> str:
        sign = "+" if self.value > 0 else "−" if self.value < 0 else "±"
        return f"{sign}{fmt_number(abs(self.value))}{self.unit}"


class Kpi(Figure):
    """A headline number: a figure with an optional icon and comparison."""

    icon: Icon | None = None
    change: Change | None = None


class KpisBlock(Block):
    """A grid of headline numbers (the ids are figure ids, like a text's figures)."""

    type: Literal["kpis"]
    noun: ClassVar[str] = "数字卡片"
    title: str | None = None
    figures: dict[Annotated[str, Field(pattern=FIGURE_ID)], Kpi] = Field(min_length=1, max_length=24)


class Milestone(Text, Item):
    self_named: ClassVar[bool] = True
    """One dated step: 2025年3月 / 一季度, what happened (may hold figures)."""

    when: str = Field(min_length=1, max_length=12)
    title: str | None = None

    def diff_label(self, index: int) -> str:
        return f"“{self.when}”节点"


class TimelineBlock(Block):
    type: Literal["timeline"]
    noun: ClassVar[str] = "时间轴"
    title: str | None = None
    milestones: list[Milestone] = Field(min_length=1, max_length=20)


class Column(Strict):
    """A table column: a text or number field of the rows, or computed from two of them."""

    key: str = Field(pattern=FIGURE_ID)
    title: str = Field(min_length=1)
    unit: str = ""
    compute: str | None = Field(default=None, pattern=COMPUTE)
    digits: int = Field(default=1, ge=0, le=4)  # decimals of a computed column

    @property
    def operands(self) -> tuple[str, str] | None:
        if not self.compute:
            return None
        a, b = re.split(r"[/÷]", self.compute)
        return a.strip(), b.strip()


class TableBlock(Block):
    """Rows of text and numbers; a computed column is a ratio of two others (完成率 = 完成 ÷ 目标)."""

    type: Literal["table"]
    noun: ClassVar[str] = "表格"
    title: str
    columns: list[Column] = Field(min_length=2, max_length=8)
    rows: list[dict[Annotated[str, Field(pattern=FIGURE_ID)], str | float]] = Field(min_length=1, max_length=60)
    note: str | None = None

    @model_validator(mode="after")
    def _rows_match(self) -> "TableBlock":
        keys = {c.key for c in self.columns}
        stored = {c.key for c in self.columns if not c.compute}
        for c in self.columns:
            for operand in c.operands or ():
                if operand not in stored:
                    raise ValueError(f"计算列“{c.title}”用到的 {operand} 不是表格里的列")
        for n, row in enumerate(self.rows, 1):
            extra = [k for k in row if k not in keys or k not in stored]
            if extra:
                raise ValueError(f"第 {n} 行的 {extra[0]} 不是表格的列（可用：{'、'.join(sorted(stored))}）")
            missing = [k for k in stored if k not in row]
            if missing:
                raise ValueError(f"第 {n} 行缺少列 {missing[0]}")
        return self

    def cell(self, row: dict, column: Column) -> str:
        """The text of one cell as printed (numbers in the report's notation)."""
        if column.operands:
            a, b = (row.get(k) for k in column.operands)
            if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or b == 0:
                return "—"
            ratio = a / b * (100 if column.unit == "%" else 1)
            return f"{ratio:.{column.digits}f}"
        value = row[column.key]
        return fmt_number(value) if isinstance(value, (int, float)) else value

    def numeric(self, column: Column) -> bool:
        return bool(column.compute) or all(isinstance(r.get(column.key), (int, float)) for r in self.rows)

    def diff_label(self, index: int) -> str:
        return f"表格“{self.title}”"


class ComparisonItem(Item):
    """Two figures of one measure (before/after, target/actual); the change is computed."""

    title: str
    figures: dict[Annotated[str, Field(pattern=FIGURE_ID)], Figure] = Field(min_length=2, max_length=2)

    @property
    def pair(self) -> tuple[Figure, Figure]:
        before, after = self.figures.values()
        return before, after

    @property
    def change(self) -> str:
        before, after = self.pair
        if before.unit == "%" and after.unit == "%":
            delta = after.value - before.value
            return f"{'+' if delta >= 0 else '−'}{abs(delta):.1f}个百分点"
        if not before.value:
            return ""
        ratio = (after.value / before.value - 1) * 100
        return f"{'+' if ratio >= 0 else '−'}{abs(ratio):.1f}%"


class ComparisonBlock(Block):
    type: Literal["comparison"]
    noun: ClassVar[str] = "对比"
    title: str | None = None
    items: list[ComparisonItem] = Field(min_length=1, max_length=12)


class RankingBlock(Block):
    """An ordered top-N of figures (towns, villages, industries), largest first."""

    type: Literal["ranking"]
    noun: ClassVar[str] = "排名"
    title: str
    top: int | None = Field(default=None, ge=1, le=30)  # show only the first N
    figures: dict[Annotated[str, Field(pattern=FIGURE_ID)], Figure] = Field(min_length=2, max_length=30)

    def ranked(self) -> list[tuple[str, Figure]]:
        order = sorted(self.figures.items(), key=lambda item: -item[1].value)
        return order[: self.top] if self.top else order


class QuoteBlock(Block, Text):
    """A callout: a sentence set large, with who said it or where it is from."""

    type: Literal["quote"]
    noun: ClassVar[str] = "引文"
    source: str | None = None


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".svg")


class ImageBlock(Block):
    """A photo or map from a file beside the report (inside the project)."""

    type: Literal["image"]
    noun: ClassVar[str] = "图片"
    src: str = Field(min_length=1, pattern=RELATIVE_PATH)  # a relative path; no URLs, no drive letters
    caption: str
    alt: str = Field(min_length=1)  # what the picture shows, for screen readers
    credit: str | None = None
    width: Literal["full", "half"] = "full"

    @model_validator(mode="after")
    def _kind(self) -> "ImageBlock":
        if not self.src.lower().endswith(IMAGE_SUFFIXES):
            raise ValueError("图片只支持 JPEG、PNG 和 SVG 文件（.jpg、.png、.svg）")
        if self.src.startswith("/") or ".." in self.src.split("/"):
            raise ValueError("图片路径应写成相对于报告文件的路径，并且在项目文件夹以内（不能用 / 开头或 ..）")
        return self

    def diff_label(self, index: int) -> str:
        return f"图片“{self.caption}”"


ChartKind = Literal["bars", "path", "pairs", "progress", "targets", "line", "donut", "stacked"]


class Series(Strict):
    """One named series of a line or stacked chart: figure ids along the chart's labels."""

    name: str = Field(min_length=1)
    figures: list[Annotated[str, Field(pattern=FIGURE_ID)]] = Field(min_length=1)


class ChartBlock(Block):
    type: Literal["chart"]
    noun: ClassVar[str] = "图表"
    chart: ChartKind
    title: str
    figures: list[Annotated[str, Field(pattern=FIGURE_ID)]] = []
    series: list[Series] = Field(default=[], max_length=6)  # line and stacked charts
    labels: list[str] | None = None
    stretch: dict[str, str] = {}
    alt: str = Field(min_length=1)  # what the chart says, for screen readers

    @model_validator(mode="after")
    def _labels_match(self) -> "ChartBlock":
        if self.chart in ("line", "stacked"):
            if not self.series:
                raise ValueError(f"{self.chart} 图表要写 series（每个系列一组数字）")
            if self.labels is None:
                raise ValueError(f"{self.chart} 图表要写 labels（横轴上的年份或类别）")
            for s in self.series:
                if len(s.figures) != len(self.labels):
                    raise ValueError(f"系列“{s.name}”有 {len(s.figures)} 个数字，labels 有 {len(self.labels)} 项，两者数量应相同")
            return self
        if self.series:
            raise ValueError("只有 line 和 stacked 图表可以写 series")
        if not self.figures:
            raise ValueError("图表要写 figures（引用的数字编号）")
        if self.labels is not None and len(self.labels) != len(self.figures):
            raise ValueError(f"labels 有 {len(self.labels)} 项，figures 有 {len(self.figures)} 项，两者数量应相同")
        if self.chart == "pairs" and len(self.figures) % 2:
            raise ValueError("pairs 图表的 figures 数量应为偶数（每两项一组）")
        if self.chart == "donut" and len(self.figures) < 2:
            raise ValueError("donut 图表至少要有两个部分")
        return self

    def refs(self) -> list[str]:
        """Every figure id the chart draws, in order."""
        ids = list(self.figures) + [f for s in self.series for f in s.figures]
        return ids + list(self.stretch) + list(self.stretch.values())


def _block_types() -> dict[str, type[Block]]:
    found, stack = {}, list(Block.__subclasses__())
    while stack:
        cls = stack.pop(0)
        stack.extend(cls.__subclasses__())
        for tag in typing.get_args(cls.model_fields["type"].annotation):
            found[tag] = cls
    return found


BLOCK_TYPES = _block_types()  # type tag → block class, in definition order
AnyBlock = Annotated[Union[tuple(BLOCK_TYPES.values())], Field(discriminator="type")]


class Section(Strict):
    id: str = Field(pattern=SECTION_ID)
    title: str
    kicker: str | None = None
    blocks: list[AnyBlock] = Field(min_length=1)

    def diff_label(self, index: int) -> str:
        return f"章节“{self.title}”"

    def figures(self) -> list[tuple[str, Figure]]:
        """(id, figure) pairs of this section, in document order."""
        return list(figures_in(self))

    def index_labels(self) -> dict[str, str]:
        """Figure id → its row label in a data index: :attr:`Figure.titled`, and where two figures of the
        section would read the same (two series labelled only by year), the title of the block that
        holds each before it, without a trailing unit in brackets (“历年税收收入 · 2021年”)."""
        labels = {fid: figure.titled for fid, figure in self.figures()}
        seen = Counter(labels.values())
        for block in self.blocks:
            title = re.sub(r"\s*[（(][^（()）]*[)）]$", "", getattr(block, "title", None) or "")
            for fid, _ in figures_in(block) if title else ():
                if seen[labels[fid]] > 1:
                    labels[fid] = f"{title} · {labels[fid]}"
        return labels


# ---------------------------------------------------------------- the walker


def walk(node, path: tuple = ()) -> Iterator[tuple[tuple, object]]:
    """Every value inside a model, depth first in field order, with its data path.

    The one traversal of the report: figures, texts, strings for the font
    check, and the diff's entries are all found with it, so a new block type
    needs no code here.
    """
    yield path, node
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from walk(getattr(node, name), path + (name,))
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, path + (key,))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from walk(value, path + (i,))


def figures_in(node) -> Iterator[tuple[str, Figure]]:
    """(id, figure) of every figure inside ``node``: figures are the values of id-keyed mappings."""
    for path, value in walk(node):
        if isinstance(value, Figure) and path and isinstance(path[-1], str):
            yield path[-1], value  # a figure is always a value of an id-keyed mapping (``figures:``)


def texts_in(node) -> Iterator[Text]:
    """Every running text inside ``node`` (itself included), in document order."""
    for _, value in walk(node):
        if isinstance(value, Text):
            yield value


def strings_in(node) -> Iterator[tuple[tuple, str]]:
    """(data path, string) of every string inside ``node``, dict keys excepted (ASCII ids)."""
    for path, value in walk(node):
        if isinstance(value, str):
            yield path, value


class Revision(Strict):
    label: str = Field(pattern=REVISION_LABEL, max_length=20)
    date: dt.date
    note: str | None = None


class ReportInfo(Strict):
    title: str
    graphic_word: str = "图解"
    district: str
    year: int = Field(ge=1949, le=2100)
    issuer: str
    subject: str | None = None
    keywords: list[str] = []
    revision: Revision
    data_note: str | None = None
    sample: bool = False  # sample data: printed as such on cover and back
    web_url: str | None = Field(default=None, pattern=WEB_URL, max_length=200)  # the web edition's address: QR code on the cover


PAGE_SIZES_MM = {"A4": (210, 297), "A5": (148, 210), "B5": (176, 250), "16K": (185, 260),
                 "大16开": (210, 285), "正16开": (185, 260)}


class Page(Strict):
    """A named trim size (``size``) or any ``width_mm`` × ``height_mm``; after validation both are set."""

    size: Literal["A4", "A5", "B5", "16K", "大16开", "正16开"] | None = None
    width_mm: float | None = Field(default=None, ge=90, le=600)
    height_mm: float | None = Field(default=None, ge=90, le=600)
    bleed_mm: float = Field(default=3, ge=0, le=10)

    @model_validator(mode="before")
    @classmethod
    def _size_or_dimensions(cls, data):
        if not isinstance(data, dict):
            return data
        width, height = data.get("width_mm"), data.get("height_mm")
        if width is None and height is None:
            named = data.get("size") or "A4"
            if named in PAGE_SIZES_MM:
                width, height = PAGE_SIZES_MM[named]
                return {**data, "size": named, "width_mm": float(width), "height_mm": float(height)}
            return data  # an unknown size: the Literal says which are allowed
        if data.get("size") is not None:
            raise ValueError("size 和 width_mm/height_mm 只写一种：写了自定义宽高就不要再写 size")
        if width is None or height is None:
            raise ValueError("自定义页面尺寸要同时写 width_mm 和 height_mm（单位毫米）")
        return data


class ThemeColour(Strict):
    """A brand colour: ``"#1b5e20"``, or ``{rgb: "#1b5e20", cmyk: [80, 20, 90, 30]}`` (per cent)."""

    rgb: str = Field(pattern=COLOUR)
    cmyk: list[Annotated[float, Field(ge=0, le=100)]] | None = Field(default=None, min_length=4, max_length=4)

    @model_validator(mode="before")
    @classmethod
    def _plain_hex(cls, data):
        return {"rgb": data} if isinstance(data, str) else data


class ReportTheme(Strict):
    """The report's own look (tujie/brand.py): brand colours and a logo, over the layout's theme.yaml."""

    primary: ThemeColour | None = None  # the layout's "brand": cover, openers, titles
    accent: ThemeColour | None = None  # the big figures
    series: list[ThemeColour] | None = Field(default=None, min_length=1, max_length=12)  # panels, chart bars
    logo: str | None = Field(default=None, pattern=LOGO)  # an SVG beside the report file


class Typography(Strict):
    """How Chinese text is set (W3C clreq; applied by tujie/typeset)."""

    punctuation: Literal["compressed", "full-width"] = "compressed"  # adjacent marks take 1.5 em, or 2 em
    han_latin_space: bool = False  # ¼ em between Han characters and Latin letters or digits


class Checks(Strict):
    """What the build does with design findings (tujie/qa.py): warn, or refuse the booklet."""

    design: Literal["warn", "fail"] = "warn"


class Report(Strict):
    report: ReportInfo
    checks: Checks = Checks()
    page: Page = Page()
    typography: Typography = Typography()
    theme: ReportTheme | None = None
    layout: str = Field(default="booklet", pattern=LAYOUT_NAME)
    sections: list[Section] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_unique_and_known(self) -> "Report":
        seen: set[str] = set()
        for section in self.sections:
            if section.id in seen:
                raise ValueError(f"章节编号 {section.id} 重复")
            seen.add(section.id)
        figures = self.figures()  # raises on duplicates
        for section in self.sections:
            for block in section.blocks:
                if isinstance(block, ChartBlock):
                    for ref in block.refs():
                        if ref not in figures:
                            raise ValueError(f"图表“{block.title}”引用的数字 {ref} 在报告里没有定义")
                    if block.chart == "donut":
                        parts = [figures[f] for f in block.figures]
                        if all(p.unit == "%" for p in parts) and sum(p.value for p in parts) > 100.05:
                            total = fmt_number(round(sum(p.value for p in parts), 2))
                            raise ValueError(f"图表“{block.title}”的各部分合计 {total}%，超过了 100%")
        return self

    def figures(self) -> dict[str, Figure]:
        """Every figure of the report by id, in document order."""
        found: dict[str, Figure] = {}
        for fid, figure in figures_in(self):
            if fid in found:
                raise ValueError(f"数字编号 {fid} 在报告里出现了不止一次，编号必须唯一")
            found[fid] = figure
        return found

    def texts(self) -> Iterator[Text]:
        return texts_in(self)
