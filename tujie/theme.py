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

    def rgb_to_cmyk(self) -> dict[str, str]:
        """Every theme colour's hex RGB (lower case) → its CSS device-cmyk()."""
        table = {c.rgb.lower(): c.css_cmyk for c in list(self.colors.values()) + list(self.series)}
        return table


class Palette:
    """The theme's colours as CSS strings: sRGB for screens, device-cmyk() for print.

    Templates use ``c.brand`` or ``series[0]`` and never spell a colour, so the
    same layout yields a pure-CMYK print file and an RGB screen file.
    """

    def __init__(self, theme: Theme, cmyk: bool):
        self._theme = theme
        self._cmyk = cmyk
        self.series = [self._css(c) for c in theme.series]

    def _css(self, colour: Colour) -> str:
        return colour.css_cmyk if self._cmyk else colour.rgb

    def __getattr__(self, name: str) -> str:
        try:
            return self._css(self._theme.colors[name])
        except KeyError:
            raise AttributeError(f"theme has no colour {name!r}") from None


def load_theme(layout_dir: Path) -> Theme:
    path = layout_dir / "theme.yaml"
    data, _ = load_yaml(path)
    try:
        return Theme.model_validate(data)
    except Exception as exc:  # a broken theme is a project bug, but say where
        raise ReportError(f"版式配色文件无效：{exc}", file=str(path)) from None
