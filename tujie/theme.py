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


class Theme(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    font_family: str
    colors: dict[str, Colour]
    series: list[Colour] = Field(min_length=5)

    def color(self, name: str) -> str:
        return self.colors[name].rgb

    def with_report(self, report, cmyk_profile: Path) -> "Theme":
        """This theme with the report's own ``theme:`` colours (tujie/brand.py); itself if it sets none.

        ``primary`` replaces ``brand`` (and the tints derived from it),
        ``accent`` the accent, ``series`` the series; a colour without ``cmyk``
        is converted through ``cmyk_profile``, the print file's output intent.
        """
        if report.theme is None:
            return self
        from .brand import colours

        named, series = colours(report.theme, cmyk_profile)
        updated = {**self.model_dump()["colors"], **named}
        data = {**self.model_dump(), "colors": updated}
        if series:
            data["series"] = [series[i % len(series)] for i in range(max(5, len(series)))]
        return Theme.model_validate(data)

    def cmyk_table(self) -> dict[str, tuple[float, float, float, float]]:
        """Every theme colour's hex RGB (lower case) → its designed CMYK, as fractions."""
        # named colours last: where a series colour has the same RGB, the named one's designed CMYK wins
        return {c.rgb.lower(): tuple(v / 100 for v in c.cmyk) for c in list(self.series) + list(self.colors.values())}


def naive_cmyk(r: float, g: float, b: float) -> tuple[float, float, float, float]:
    """Plain GCR-free CMYK for a colour the theme does not name (matplotlib's black, white).

    Neutral colours come out K-only, so small grey text never needs register.
    """
    k = 1 - max(r, g, b)
    if k >= 1:
        return (0.0, 0.0, 0.0, 1.0)
    c, m, y = ((1 - v - k) / (1 - k) for v in (r, g, b))
    return (round(c, 3), round(m, 3), round(y, 3), round(k, 3))


class Palette:
    """The theme's colours as CSS strings for the templates (``c.brand``, ``series[0]``).

    Templates never spell a colour, so every colour on a page is a theme
    colour; the print file swaps each one for its designed CMYK value while
    writing (tujie/pdf.py), from the same single layout as the screen file.
    """

    def __init__(self, theme: Theme):
        self._theme = theme
        self.series = [c.rgb for c in theme.series]

    def __getattr__(self, name: str) -> str:
        try:
            return self._theme.colors[name].rgb
        except KeyError:
            raise AttributeError(f"theme has no colour {name!r}") from None


def load_theme(layout_dir: Path) -> Theme:
    return load_theme_file(layout_dir / "theme.yaml")


def load_theme_file(path: Path) -> Theme:
    data, _ = load_yaml(path)
    try:
        return Theme.model_validate(data)
    except Exception as exc:  # a broken theme is a project bug, but say where
        raise ReportError(f"版式配色文件无效：{exc}", file=str(path)) from None
