"""How wide a line of text is in the bundled fonts, to choose sizes before layout.

In:  the bundled font files (weight → path) and a string, size and weight.
Out: its advance width in mm, from the fonts' own metrics (``hmtx``, read by
HarfBuzz), without kerning (CJK and figures are not kerned in Noto Sans CJK).

The layout uses it for the one thing CSS cannot do: a big number that would
not fit its card steps down a size instead of overflowing.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

PT_TO_MM = 25.4 / 72


@lru_cache(maxsize=8)
def _font(path: str):
    """The font opened by HarfBuzz, which reads a glyph's advance when asked: decoding the
    whole cmap with fontTools, as this did before, took 0.35 s per 10 MB font, on every
    command-line build, before the layout could start."""
    import uharfbuzz as hb

    return hb.Font(hb.Face(hb.Blob.from_file_path(path)))


@lru_cache(maxsize=65536)
def _advance(path: str, code: int) -> float:
    """A character's advance in em (a missing one counts as one em)."""
    font = _font(path)
    glyph = font.get_nominal_glyph(code)
    return 1.0 if glyph is None else font.get_glyph_h_advance(glyph) / font.face.upem


class Measure:
    """Advance widths of text in the bundled fonts, by CSS font weight."""

    def __init__(self, font_paths: dict[int, Path]):
        self.paths = {weight: str(path) for weight, path in font_paths.items()}

    def width_mm(self, text: str, size_pt: float, weight: int = 400) -> float:
        path = self.paths[min(self.paths, key=lambda w: abs(w - weight))]
        return sum(_advance(path, ord(ch)) for ch in text) * size_pt * PT_TO_MM
