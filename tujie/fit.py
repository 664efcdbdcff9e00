"""How wide a line of text is in the bundled fonts, to choose sizes before layout.

In:  the bundled font files (weight → path) and a string, size and weight.
Out: its advance width in mm, from the fonts' own metrics (fontTools ``hmtx``),
without kerning (CJK and figures are not kerned in Noto Sans CJK).

The layout uses it for the one thing CSS cannot do: a big number that would
not fit its card steps down a size instead of overflowing.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

PT_TO_MM = 25.4 / 72


@lru_cache(maxsize=8)
def _metrics(path: str) -> tuple[dict[int, int], int]:
    """code point → advance in font units, and the units per em."""
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        cmap = font.getBestCmap()
        hmtx = font["hmtx"].metrics
        advances = {code: hmtx[name][0] for code, name in cmap.items()}
        return advances, font["head"].unitsPerEm


class Measure:
    """Advance widths of text in the bundled fonts, by CSS font weight."""

    def __init__(self, font_paths: dict[int, Path]):
        self.paths = {weight: str(path) for weight, path in font_paths.items()}

    def width_mm(self, text: str, size_pt: float, weight: int = 400) -> float:
        nearest = min(self.paths, key=lambda w: abs(w - weight))
        advances, upem = _metrics(self.paths[nearest])
        units = sum(advances.get(ord(ch), upem) for ch in text)
        return units / upem * size_pt * PT_TO_MM
