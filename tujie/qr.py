"""The QR code that sends a booklet's reader to the web edition (码上看报告).

In: ``report.web_url``. Out: a vector QR code (segno) as an SVG data URI for
the booklet's cover, and, for preflight, what a QR code on a PDF page
decodes to when the page is rendered at print resolution (pypdfium2 +
zxing-cpp), with its size and quiet zone measured on that rendering.

The code is black on white: WeasyPrint's print file turns #000000 into pure
K (0 0 0 1), so it prints on the black plate alone and cannot mis-register.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

SYMBOL_MM = 22  # the symbol without its quiet zone, as placed
MIN_MM = 20  # preflight's floor: smaller codes scan badly from paper
QUIET_MODULES = 4  # the quiet zone ISO/IEC 18004 asks for
CAPTION = "扫码阅读网页版"
MM_PER_INCH = 25.4


@dataclass(frozen=True)
class QrCode:
    url: str
    uri: str  # data:image/svg+xml;base64,…
    size_mm: float  # placed size, quiet zone included
    modules: int  # modules across the symbol, without the quiet zone

    caption: str = CAPTION


def qr_code(url: str | None) -> QrCode | None:
    if not url:
        return None
    import segno

    code = segno.make(url, error="m", micro=False)
    modules = code.symbol_size(border=0)[0]
    svg = code.svg_inline(scale=1, border=QUIET_MODULES, dark="#000000", light="#ffffff")
    svg = svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    size = round(SYMBOL_MM / modules * (modules + 2 * QUIET_MODULES), 2)
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return QrCode(url, uri, size, modules)


@dataclass(frozen=True)
class FoundCode:
    text: str
    size_mm: float  # the symbol's width, quiet zone excluded
    quiet_zone: bool  # QUIET_MODULES of light pixels all round


def read_codes(pdf_path: Path, page_index: int = 0, dpi: int = 300) -> list[FoundCode]:
    """The QR codes on one page of a PDF, rendered at ``dpi``, as a phone camera would see them."""
    import pypdfium2
    import zxingcpp

    doc = pypdfium2.PdfDocument(str(pdf_path))
    try:
        image = doc[page_index].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        doc.close()
    found = []
    for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
        pos = barcode.position
        xs = [pos.top_left.x, pos.top_right.x, pos.bottom_left.x, pos.bottom_right.x]
        ys = [pos.top_left.y, pos.top_right.y, pos.bottom_left.y, pos.bottom_right.y]
        width_px = max(xs) - min(xs)
        version = str((barcode.extra or {}).get("Version", ""))
        modules = 17 + 4 * int(version) if version.isdigit() else None
        quiet = _quiet_zone(image, min(xs), min(ys), max(xs), max(ys), width_px / modules) if modules else False
        found.append(FoundCode(barcode.text, width_px / dpi * MM_PER_INCH, quiet))
    return found


def _quiet_zone(image, x0: int, y0: int, x1: int, y1: int, module_px: float) -> bool:
    """Whether the band QUIET_MODULES wide around the symbol is all light."""
    pad = QUIET_MODULES * module_px
    # corners are module edges; one pixel of slack for where the white field's edge falls between pixels
    outer = (round(x0 - pad) + 1, round(y0 - pad) + 1, round(x1 + pad) - 1, round(y1 + pad) - 1)
    if outer[0] < 0 or outer[1] < 0 or outer[2] > image.width or outer[3] > image.height:
        return False
    band = image.crop(outer)
    edge = round(pad - module_px * 0.5) - 1
    band.paste(255, (edge, edge, band.width - edge, band.height - edge))  # blank the symbol (and half a module round it)
    return band.getextrema()[0] >= 200
