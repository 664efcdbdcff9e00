"""Fill of each page's type area, measured on a produced PDF (independent of tujie/qa.py).

Fill is the depth of ink in the type area: from its top to the lowest glyph,
picture or filled shape above the bottom margin (the folio sits below it),
as a share of the type area's height.
"""

from __future__ import annotations

import pdfplumber

MM = 72 / 25.4


def page_fills(pdf_path, margins) -> list[float]:
    """One fill per page; ``margins`` has ``top`` and ``bottom`` in mm (tujie.manifest.Margins)."""
    fills = []
    with pdfplumber.open(str(pdf_path)) as pdf:
        for page in pdf.pages:
            top = margins.top * MM
            foot = float(page.height) - margins.bottom * MM
            bottoms = [float(o["bottom"]) for kind in ("chars", "images", "rects", "curves")
                       for o in getattr(page, kind) if float(o["top"]) < foot - 1
                       and (kind == "chars" or float(o["bottom"]) - float(o["top"]) < float(page.height) * 0.9)]
            depth = (min(max(bottoms), foot) - top) if bottoms else 0.0
            fills.append(max(0.0, depth / (foot - top)))
    return fills
