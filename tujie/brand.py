"""A district's own look, from its data: the report's ``theme:`` over the layout's palette.

In: the validated report (its :class:`~tujie.model.ReportTheme`), the
layout's :class:`~tujie.theme.Theme`, the print profile, the report file.
Out: a new Theme (``primary`` → the layout's ``brand``, ``accent``,
``series``; light tints of the primary derived from it), each colour with the
CMYK the report gave or one converted through the output-intent ICC profile
by littleCMS (Pillow's ImageCms) — never a naive formula for a brand colour;
the checks that text stays readable on the new grounds (WCAG 2 contrast
≥ 4.5:1), in Chinese with the field; and the logo as a data URI.
"""

from __future__ import annotations

import base64
import functools
from pathlib import Path

from .errors import ReportError, ReportErrors

MIN_CONTRAST = 4.5  # WCAG 2 AA for body text
# the primary mixed with white: card grounds, light text on the brand, and the second colour (rules, waves,
# ordinals, chart bars) that the layout pairs with the brand (钱塘江青 in the default theme)
TINTS = {"tint": 0.93, "pale": 0.84, "river": 0.45}

# (text colour, ground colour, report field the pair depends on, where it shows, an error or only a warning)
PAIRS = (
    ("paper", "brand", "primary", "封面、章节页和封底上的白字", True),
    ("pale", "brand", "primary", "封面章节列表和章节导语的浅色字", True),
    ("brand", "paper", "primary", "白底上的标题和导语", True),
    ("brand", "tint", "primary", "卡片底色上的标题", True),
    ("accent", "paper", "accent", "白底上的重点数字", True),
    ("accent", "tint", "accent", "卡片底色上的重点数字", True),
    ("river", "brand", "primary", "章节页上的大序号（装饰）", False),
)


def _channels(rgb: str) -> tuple[int, int, int]:
    return tuple(int(rgb[i:i + 2], 16) for i in (1, 3, 5))


def luminance(rgb: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""
    def linear(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(v) for v in _channels(rgb))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def mix_with_white(rgb: str, amount: float) -> str:
    return "#" + "".join(f"{round(v + (255 - v) * amount):02x}" for v in _channels(rgb))


@functools.lru_cache(maxsize=4)
def _transform(profile: str):
    from PIL import ImageCms

    return ImageCms.buildTransform(ImageCms.createProfile("sRGB"), ImageCms.getOpenProfile(profile), "RGB", "CMYK",
                                   renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
                                   flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)


def icc_cmyk(rgb: str, profile: Path) -> tuple[float, float, float, float]:
    """``#rrggbb`` (sRGB) → CMYK per cent through the print file's output-intent profile (littleCMS)."""
    from PIL import Image, ImageCms

    pixel = ImageCms.applyTransform(Image.new("RGB", (1, 1), _channels(rgb)), _transform(str(profile)))
    return tuple(round(v / 255 * 100) for v in pixel.getpixel((0, 0)))


def colours(report_theme, profile: Path) -> tuple[dict[str, dict], list[dict] | None]:
    """The layout colours the report replaces (name → {rgb, cmyk}) and its series, CMYK filled in."""
    # one RGB, one CMYK: a colour written twice with its CMYK given once gets that CMYK both times
    designed = {c.rgb.lower(): tuple(c.cmyk) for c in [report_theme.primary, report_theme.accent,
                                                       *(report_theme.series or [])] if c is not None and c.cmyk}

    def colour(given) -> dict:
        rgb = given.rgb.lower()
        cmyk = tuple(given.cmyk) if given.cmyk is not None else designed.get(rgb) or icc_cmyk(rgb, profile)
        return {"rgb": rgb, "cmyk": cmyk}

    named = {}
    if report_theme.primary is not None:
        named["brand"] = colour(report_theme.primary)
        for name, amount in TINTS.items():
            rgb = mix_with_white(named["brand"]["rgb"], amount)
            named[name] = {"rgb": rgb, "cmyk": icc_cmyk(rgb, profile)}
    if report_theme.accent is not None:
        named["accent"] = colour(report_theme.accent)
    series = [colour(c) for c in report_theme.series] if report_theme.series else None
    return named, series


def check_contrast(theme, report, source: Path) -> list[str]:
    """Raise ReportErrors for text the report's colours make hard to read; return warnings for decoration.

    Only pairs with a colour the report set are checked: the layout's own
    palette is the designer's responsibility.
    """
    given = report.theme
    if given is None:
        return []
    errors, warnings = [], []
    marks = _marks(source)

    def judge(text: str, ground: str, field: str, where: str, fatal: bool) -> None:
        ratio = contrast(theme.colors[text].rgb if text in theme.colors else text,
                         theme.colors[ground].rgb if ground in theme.colors else ground)
        if ratio >= MIN_CONTRAST:
            return
        message = (f"颜色对比度不足：{where}只有 {ratio:.1f}:1，至少需要 {MIN_CONTRAST:g}:1（WCAG），"
                   f"印出来和在手机上都看不清；请把颜色调深（或调浅）一些")
        path = ("theme", field)
        line, column = marks.get(path, (None, None))
        error = ReportError(message, file=str(source), line=line, column=column, field=_dotted(path))
        if fatal:
            errors.append(error)
        else:
            warnings.append(f"警告：{error}")

    for text, ground, field, where, fatal in PAIRS:
        if getattr(given, field) is not None:
            judge(text, ground, field, where, fatal)
    for i, colour in enumerate(given.series or []):
        path = ("theme", "series", i)
        ratio = contrast(theme.colors["paper"].rgb, colour.rgb)
        if ratio < MIN_CONTRAST:
            line, column = marks.get(path, (None, None))
            errors.append(ReportError(
                f"颜色对比度不足：彩色面板上的白字只有 {ratio:.1f}:1，至少需要 {MIN_CONTRAST:g}:1（WCAG），"
                f"印出来和在手机上都看不清；请把这个颜色调深一些", file=str(source), line=line, column=column,
                field=_dotted(path)))
    if errors:
        raise ReportErrors(errors)
    return warnings


def logo_uri(report, source: Path) -> str | None:
    """The report's logo (an SVG inside the report's folder) as a data URI; refuse anything else."""
    if report.theme is None or report.theme.logo is None:
        return None
    folder = source.resolve().parent
    path = (folder / report.theme.logo).resolve()
    line, column = _marks(source).get(("theme", "logo"), (None, None))

    def refuse(message: str) -> ReportError:
        return ReportError(message, file=str(source), line=line, column=column, field="theme.logo")

    if not path.is_relative_to(folder):
        raise refuse(f"标志文件“{report.theme.logo}”在报告所在文件夹以外，不能使用；请把它复制到报告旁边，写文件名即可")
    if not path.is_file():
        raise refuse(f"找不到标志文件“{report.theme.logo}”（应在 {folder} 里）")
    data = path.read_bytes()
    if len(data) > 512 * 1024 or b"<svg" not in data[:4096]:
        raise refuse(f"标志文件“{report.theme.logo}”不是 SVG 图形（或超过 512 KB）")
    return "data:image/svg+xml;base64," + base64.b64encode(data).decode("ascii")


def _marks(source: Path) -> dict:
    from .load import load_marks

    try:
        return load_marks(source)
    except (ReportError, OSError):
        return {}


def _dotted(path: tuple) -> str:
    from .yamlio import dotted

    return dotted(path)
