"""The bundled fonts: which files there must be, and whether they are whole.

In: the fonts folder (``fonts/`` of the project, or another for tests).
Out: weight → path of each bundled face, or a :class:`ReportError` naming the
file and the fix (``make fonts``).

The fonts are made by ``make fonts`` (fonts/build_fonts.py) and not kept in
git, so a missing file, a copy cut short by a full disk or an HTML error page
saved under the font's name are real possibilities. Every stage that reads a
font (coverage, charts, WeasyPrint, the joined file's subsets) would fail in
its own way — a fontTools traceback, a FreeType warning, a blank chart — so
the build checks the files here first. The check reads only the table
directory, the character map and the weight, not the outlines: about a
millisecond a font.
"""

from __future__ import annotations

import functools
import struct
from pathlib import Path

from .errors import ReportError

# weight (OS/2 usWeightClass) → file; the layouts use all four
FILES = {
    400: "NotoSansSC-Regular.otf",
    500: "NotoSansSC-Medium.otf",
    700: "NotoSansSC-Bold.otf",
    900: "NotoSansSC-Black.otf",
}
FIX = "请在项目目录运行 make fonts 重新生成字体（需要联网，约三分钟）"
SFNT_VERSIONS = {b"OTTO", b"\x00\x01\x00\x00", b"true"}


def _shown(path: Path) -> str:
    """The path as the user sees it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def bundled(font_dir: Path) -> dict[int, Path]:
    """weight → path of every bundled font, each checked; raise ReportError otherwise."""
    if not font_dir.is_dir():
        raise ReportError(f"找不到字体目录。{FIX}", file=_shown(font_dir))
    found = {}
    for weight, name in FILES.items():
        path = font_dir / name
        if not path.is_file():
            raise ReportError(f"缺少字体文件（字重 {weight}）。字体不放在版本库里，由 make fonts 下载生成；{FIX}",
                              file=_shown(path))
        stat = path.stat()
        _check(str(path), stat.st_size, stat.st_mtime_ns, weight)
        found[weight] = path
    return found


@functools.lru_cache(maxsize=16)
def _check(path: str, size: int, mtime_ns: int, weight: int) -> None:
    """Raise ReportError unless ``path`` is a whole OpenType font of ``weight`` (cached per file state)."""
    shown = _shown(Path(path))
    with open(path, "rb") as file:
        header = file.read(12)
        if len(header) < 12 or header[:4] not in SFNT_VERSIONS:
            kind = "是空文件" if not header else f"开头是 {header[:8]!r}"
            raise ReportError(f"这不是 OpenType 字体文件（{kind}），可能是下载出错或被别的文件覆盖。{FIX}",
                              file=shown)
        (tables,) = struct.unpack(">H", header[4:6])
        directory = file.read(16 * tables)
    if len(directory) < 16 * tables:
        raise ReportError(f"字体文件不完整（只有 {size:,} 字节，连表目录都不全），多半是复制中断或磁盘已满。{FIX}",
                          file=shown)
    for i in range(tables):
        tag, _, offset, length = struct.unpack(">4sIII", directory[16 * i:16 * i + 16])
        if offset + length > size:
            raise ReportError(
                f"字体文件不完整：只有 {size:,} 字节，其中的 {tag.decode('latin-1').strip()} 表应到第 "
                f"{offset + length:,} 字节，多半是复制中断或磁盘已满。{FIX}", file=shown)
    import uharfbuzz as hb

    # HarfBuzz reads the tables lazily in C (0.3 ms a font); fontTools took 0.15 s a font for the
    # cmap alone. It drops a table that fails its sanitizer, so a damaged one shows as missing here.
    face = hb.Face(hb.Blob.from_file_path(path))
    os2 = face.reference_table("OS/2").data
    damage = ("没有字形" if face.glyph_count == 0 else "没有 Unicode 字符映射（cmap）" if not face.unicodes
              else "缺少 OS/2 表" if len(os2) < 6 else None)
    if damage:
        raise ReportError(f"字体文件已损坏，无法读取（{damage}）。{FIX}", file=shown)
    (actual,) = struct.unpack(">H", os2[4:6])
    if actual != weight:
        raise ReportError(f"字体文件的字重是 {actual}，应为 {weight}，文件可能被调换了。{FIX}", file=shown)
