"""A layout's manifest: everything the code needs to know about a layout folder.

In:  ``layouts/<name>/layout.yaml`` (and the ``theme.yaml`` it names).
Out: a :class:`Layout`, which answers page geometry questions (margins and
type area for a page size, grid columns, chart sizes, the class names the
layout checks look for). The stylesheet is rendered with the same object, so
no margin, size or class name is written twice.

A layout may ``extends:`` another: its templates and CSS are looked up in
its own folder first, then in the parent's, and manifest keys it leaves out
come from the parent (tujie/layout.py builds the template loader).
"""

from __future__ import annotations

import math
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from .errors import ReportError
from .theme import Theme, load_theme_file
from .yamlio import load_yaml

MANIFEST = "layout.yaml"


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Margins(_Data):
    min_width_mm: float = 0
    top: float
    side: float
    bottom: float


class Grid(_Data):
    card_min_mm: float
    gap_mm: float
    wide_card_min_mm: float
    number_sizes_pt: list[float] = Field(min_length=1)


class Sections(_Data):
    opener_height_mm: float
    band_height_mm: float
    share_below: float = Field(gt=0, le=1)
    min_fill: float = Field(ge=0, le=1)
    min_last_fill: float = Field(ge=0, le=1)  # the body's last page, which may end short


class Height(_Data):
    base: float
    per_item: float = 0


class Charts(_Data):
    full_width: list[str]
    height_mm: dict[str, Height]
    half_height_mm: dict[str, Height]


class Classes(_Data):
    one_page: dict[str, str]
    section_title: list[str]
    notes: str
    heading: list[str]
    card: list[str]


class Layout(_Data):
    """One layout folder, validated. ``dirs`` lists it and the folders it extends, nearest first."""

    name: str
    title: str
    theme_file: str  # ``theme:`` in the manifest
    extends: str | None = None
    margins: list[Margins] = Field(min_length=1)
    grid: Grid
    sections: Sections
    charts: Charts
    classes: Classes
    dirs: list[Path] = []
    theme: Theme | None = Field(default=None, exclude=True)

    def margins_for(self, width_mm: float) -> Margins:
        return next(m for m in self.margins if m.min_width_mm <= width_mm)

    def type_width(self, page) -> float:
        """Width of the type area of ``page`` (a model.Page), in mm."""
        return round(page.width_mm - 2 * self.margins_for(page.width_mm).side, 1)

    def type_height(self, page) -> float:
        m = self.margins_for(page.width_mm)
        return round(page.height_mm - m.top - m.bottom, 1)

    def columns(self, count: int, width_mm: float, min_mm: float | None = None) -> int:
        """Columns for ``count`` cards in ``width_mm``: as many as fit, then balanced rows.

        8 cards where 4 fit: 4 + 4; 5 where 4 fit: 3 + 2 rather than 4 + 1.
        """
        min_mm = min_mm or self.grid.card_min_mm
        fit = max(1, math.floor((width_mm + self.grid.gap_mm) / (min_mm + self.grid.gap_mm)))
        if count <= fit:
            return max(1, count)
        rows = math.ceil(count / fit)
        return math.ceil(count / rows)

    def chart_size(self, chart: str, items: int, width_mm: float, half: bool) -> tuple[float, float]:
        """Placed (width, height) in mm of a chart of ``items`` values."""
        table = self.charts.half_height_mm if half else self.charts.height_mm
        height = table.get(chart) or self.charts.height_mm[chart]
        width = width_mm * 0.485 if half else width_mm
        return round(width, 1), round(height.base + height.per_item * items, 1)

    def can_share_row(self, chart: str) -> bool:
        return chart not in self.charts.full_width and chart in self.charts.half_height_mm


def load_layout(layouts: Path, name: str, *, source: str | None = None) -> Layout:
    """The layout called ``name`` under ``layouts/``, its parents merged in."""
    data, dirs, seen = {}, [], set()
    current: str | None = name
    while current:
        if current in seen:
            raise ReportError(f"版式“{current}”的 extends 形成了循环", file=str(layouts / current / MANIFEST))
        seen.add(current)
        folder = layouts / current
        path = folder / MANIFEST
        if not path.is_file():
            raise ReportError(f"找不到版式“{current}”（应有 {path}）", file=source, field="layout" if source else None)
        own, _ = load_yaml(path, str(path))
        data = {**own, **data}  # the child's keys win
        dirs.append(folder)
        current = own.get("extends")
    data["extends"] = None if len(dirs) == 1 else dirs[1].name
    data["name"] = name
    data["theme_file"] = data.pop("theme", "theme.yaml")
    try:
        layout = Layout.model_validate({**data, "dirs": dirs})
    except Exception as exc:  # a broken manifest is a layout bug, but say where
        raise ReportError(f"版式清单无效：{exc}", file=str(dirs[0] / MANIFEST)) from None
    theme_path = next((d / layout.theme_file for d in dirs if (d / layout.theme_file).is_file()), None)
    if theme_path is None:
        raise ReportError(f"版式“{name}”缺少配色文件 {layout.theme_file}", file=str(dirs[0] / MANIFEST))
    return layout.model_copy(update={"theme": load_theme_file(theme_path)})
