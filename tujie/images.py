"""Photos and maps of ``image`` blocks: found, checked and sized before layout.

In:  the validated report, its source file, the layout (for the type area).
Out: ``src → Placed`` (file URI and placed size in mm) for the templates, or
a located Chinese error: a file that is missing, outside the report's folder,
not really a JPEG/PNG/SVG, or a raster image under 300 dpi at its placed size.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ReportError, ReportErrors
from .model import ImageBlock, walk

MIN_DPI = 300
MAX_HEIGHT_SHARE = 0.42  # a picture takes at most this share of the type area's height


@dataclass(frozen=True)
class Placed:
    uri: str
    width_mm: float
    height_mm: float


def picture_files(placed: dict[str, Placed]) -> list[Path]:
    """The picture files behind ``place_images``' result: their contents go into the part cache's key,
    so a map replaced under the same name is drawn anew (tujie/build.toolchain_salt)."""
    from urllib.parse import unquote, urlparse

    return sorted({Path(unquote(urlparse(p.uri).path)) for p in placed.values()})


def place_images(report, source: Path, layout) -> dict[str, Placed]:
    root = source.parent.resolve()
    placed, errors = {}, []
    for path, block in walk(report):
        if not isinstance(block, ImageBlock) or block.src in placed:
            continue
        try:
            placed[block.src] = _place(block, root, layout, report.page)
        except ValueError as exc:
            errors.append((path + ("src",), str(exc)))
    if errors:
        from .load import load_marks
        from .yamlio import dotted

        marks = load_marks(source)
        raise ReportErrors([ReportError(message, file=str(source), line=marks.get(p, (None,))[0], field=dotted(p))
                            for p, message in errors])
    return placed


def _place(block: ImageBlock, root: Path, layout, page) -> Placed:
    file = (root / block.src).resolve()
    if root not in file.parents:
        raise ValueError(f"图片 {block.src} 不在报告所在的文件夹里，不能使用（请把图片复制到 {root.name}/ 下）")
    if not file.is_file():
        raise ValueError(f"找不到图片文件 {block.src}（路径相对于报告文件所在的文件夹）")
    width_mm = layout.type_width(page) * (0.485 if block.width == "half" else 1)
    if file.suffix.lower() == ".svg":
        ratio = _svg_ratio(file, block.src)
        raster = None
    else:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(file) as im:
                raster = im.size
                if im.format not in ("JPEG", "PNG"):
                    raise ValueError(f"图片 {block.src} 不是 JPEG 或 PNG 文件（实际是 {im.format}）")
        except (UnidentifiedImageError, OSError):
            raise ValueError(f"图片 {block.src} 打不开，文件可能已损坏或不是图片") from None
        ratio = raster[1] / raster[0]
    height_mm = width_mm * ratio
    limit = layout.type_height(page) * MAX_HEIGHT_SHARE
    if height_mm > limit:  # a tall picture: as high as allowed, narrower
        height_mm, width_mm = limit, limit / ratio
    if raster:
        dpi = raster[0] / (width_mm / 25.4)
        if dpi < MIN_DPI:
            need = round(width_mm / 25.4 * MIN_DPI)
            raise ValueError(f"图片 {block.src} 只有 {raster[0]}×{raster[1]} 像素，排在 {width_mm:.0f} 毫米宽时"
                             f"只有 {dpi:.0f} dpi，印刷至少要 {MIN_DPI} dpi（宽度至少 {need} 像素）；请换用更清晰的原图")
    return Placed(file.as_uri(), round(width_mm, 1), round(height_mm, 1))


def _svg_ratio(file: Path, name: str) -> float:
    import re
    from xml.etree import ElementTree

    try:
        root = ElementTree.parse(file).getroot()
    except ElementTree.ParseError:
        raise ValueError(f"图片 {name} 不是有效的 SVG 文件") from None
    box = root.get("viewBox")
    if box:
        _, _, w, h = (float(v) for v in re.split(r"[\s,]+", box.strip()))
    else:
        w, h = (float(re.sub(r"[a-z%]+$", "", root.get(k, "0")) or 0) for k in ("width", "height"))
    if w <= 0 or h <= 0:
        raise ValueError(f"SVG 图片 {name} 没有写明大小（viewBox 或 width/height）")
    return h / w
