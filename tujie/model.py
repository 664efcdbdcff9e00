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
from typing import Annotated, Iterator, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
FIGURE_ID = r"^[a-z][a-z0-9_]*$"
ICON = r"^[a-z0-9-]+$"


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


class Theme(Strict):
    title: str
    icon: str = Field(default="circle-check", pattern=ICON)
    items: list[Text] = Field(min_length=1)


class ThemesBlock(Strict):
    type: Literal["themes"]
    themes: list[Theme] = Field(min_length=1)


class Panel(Text):
    title: str
    name: str = Field(min_length=1, max_length=4)
    icon: str = Field(default="palette", pattern=ICON)


class PanelsBlock(Strict):
    type: Literal["panels"]
    panels: list[Panel] = Field(min_length=1, max_length=6)


class LeadBlock(Text):
    type: Literal["lead"]


class IndicatorGroup(Text):
    name: str = Field(min_length=1, max_length=6)
    icon: str = Field(default="target", pattern=ICON)
    intent: str


class IndicatorsBlock(Strict):
    type: Literal["indicators"]
    title: str
    groups: list[IndicatorGroup] = Field(min_length=1)


class Principle(Strict):
    keyword: str
    text: str


class PrinciplesBlock(Strict):
    type: Literal["principles"]
    principles: list[Principle] = Field(min_length=1, max_length=10)


class Target(Text):
    bar: str | None = None  # id of the figure drawn as this target's bar
    stretch: str | None = None  # id of the stretch (力争) figure

    @model_validator(mode="after")
    def _refs_local(self) -> "Target":
        for ref in (self.bar, self.stretch):
            if ref is not None and ref not in self.figures:
                raise ValueError(f"{ref} 不是本条 figures 里的编号")
        return self


class TargetsBlock(Strict):
    type: Literal["targets"]
    targets: list[Target] = Field(min_length=1)


class Area(Strict):
    title: str
    icon: str = Field(default="circle-check", pattern=ICON)
    actions: list[str] = Field(min_length=1)


class AreasBlock(Strict):
    type: Literal["areas"]
    areas: list[Area] = Field(min_length=1, max_length=9)


ChartKind = Literal["bars", "path", "pairs", "progress", "targets"]


class ChartBlock(Strict):
    type: Literal["chart"]
    chart: ChartKind
    title: str
    figures: list[Annotated[str, Field(pattern=FIGURE_ID)]] = Field(min_length=1)
    labels: list[str] | None = None
    stretch: dict[str, str] = {}
    alt: str = Field(min_length=1)  # what the chart says, for screen readers

    @model_validator(mode="after")
    def _labels_match(self) -> "ChartBlock":
        if self.labels is not None and len(self.labels) != len(self.figures):
            raise ValueError(f"labels 有 {len(self.labels)} 项，figures 有 {len(self.figures)} 项，两者数量应相同")
        if self.chart == "pairs" and len(self.figures) % 2:
            raise ValueError("pairs 图表的 figures 数量应为偶数（每两项一组）")
        return self


Block = Annotated[
    Union[ThemesBlock, PanelsBlock, LeadBlock, IndicatorsBlock, PrinciplesBlock, TargetsBlock, AreasBlock, ChartBlock],
    Field(discriminator="type"),
]


class Section(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str
    kicker: str | None = None
    blocks: list[Block] = Field(min_length=1)

    def texts(self) -> Iterator[Text]:
        """Every text of this section that can hold figures, in document order."""
        for block in self.blocks:
            if isinstance(block, Text):
                yield block
            for child in _children(block):
                if isinstance(child, Text):
                    yield child
                if isinstance(child, Theme):
                    yield from child.items

    def figures(self) -> list[tuple[str, Figure]]:
        """(id, figure) pairs of this section, in document order."""
        return [(fid, figure) for text in self.texts() for fid, figure in text.figures.items()]


class Revision(Strict):
    label: str = Field(pattern=r"^[A-Za-z0-9._-]+$", max_length=20)
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

    rgb: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")
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
    logo: str | None = Field(default=None, pattern=r"(?i)^[^\x00]+\.svg$")  # an SVG beside the report file


class Typography(Strict):
    """How Chinese text is set (W3C clreq; applied by tujie/typeset)."""

    punctuation: Literal["compressed", "full-width"] = "compressed"  # adjacent marks take 1.5 em, or 2 em
    han_latin_space: bool = False  # ¼ em between Han characters and Latin letters or digits


class Report(Strict):
    report: ReportInfo
    page: Page = Page()
    typography: Typography = Typography()
    theme: ReportTheme | None = None
    layout: str = Field(default="booklet", pattern=r"^[a-z][a-z0-9_-]*$")
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
                    for ref in list(block.figures) + list(block.stretch) + list(block.stretch.values()):
                        if ref not in figures:
                            raise ValueError(f"图表“{block.title}”引用的数字 {ref} 在报告里没有定义")
        return self

    def figures(self) -> dict[str, Figure]:
        """Every figure of the report by id, in document order."""
        found: dict[str, Figure] = {}
        for text in self.texts():
            for fid, figure in text.figures.items():
                if fid in found:
                    raise ValueError(f"数字编号 {fid} 在报告里出现了不止一次，编号必须唯一")
                found[fid] = figure
        return found

    def texts(self) -> Iterator[Text]:
        for section in self.sections:
            yield from section.texts()


def _children(block) -> list:
    for name in ("themes", "panels", "groups", "targets"):
        if hasattr(block, name):
            return list(getattr(block, name))
    return []
