"""The colour and type theme shared by the page layouts and the charts.

Each layout folder has a ``theme.yaml``; one palette feeds both the CSS
(through the Jinja-rendered stylesheet) and matplotlib, so charts and pages
match.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from .errors import ReportError
from .yamlio import load_yaml


class Colour(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rgb: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")
    cmyk: tuple[float, float, float, float]

    def __str__(self) -> str:
        return self.rgb

    @property
    def css_cmyk(self) -> str:
        c, m, y, k = (v / 100 for v in self.cmyk)
        return f"device-cmyk({c:g} {m:g} {y:g} {k:g})"


class Theme(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    font_family: str
    colors: dict[str, Colour]
    series: list[Colour] = Field(min_length=5)

    def color(self, name: str) -> str:
        return self.colors[name].rgb


def load_theme(layout_dir: Path) -> Theme:
    path = layout_dir / "theme.yaml"
    data, _ = load_yaml(path)
    try:
        return Theme.model_validate(data)
    except Exception as exc:  # a broken theme is a project bug, but say where
        raise ReportError(f"版式配色文件无效：{exc}", file=str(path)) from None
