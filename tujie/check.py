"""Stage 6: preflight — read the produced files back and prove they are right.

Each rule reads the real file with pikepdf (and Pillow for images) and
returns findings in Chinese; nothing here trusts what the build meant to
write. The print edition is recognised by its PDF/X output intent, the screen
edition by its PDF/A identification.
"""

from __future__ import annotations

import array
import hashlib
import io
import re
import sys
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from PIL import Image

from .editions import IMPOSED_KEY

MM = 72 / 25.4
RGB_OPERATORS = {"rg", "RG"}
MIN_DPI = 300
LONG_IMAGE_WIDTH = 1080
LONG_IMAGE_MAX_BYTES = 8 * 1024 * 1024
BUNDLED_FAMILY = "Noto-Sans-SC"  # WeasyPrint's name for the fonts in fonts/


@dataclass(frozen=True)
class Finding:
    file: str
    rule: str  # short Chinese name of the rule
    ok: bool
    message: str

    def __str__(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.rule}：{self.message}"


def _kind(pdf: pikepdf.Pdf) -> str:
    intents = pdf.Root.get("/OutputIntents", [])
    if any(str(i.get("/S")) == "/GTS_PDFX" for i in intents):
        return "print"
    # read, not entered: the context manager writes the metadata back on leaving (~8 ms)
    return "screen" if pdf.open_metadata().get("pdfaid:part") else "other"


def _content_objects(pdf: pikepdf.Pdf):
    """(page number, object with a content stream, its resources), forms included, each once."""
    seen = set()

    def forms(resources, number):
        for _, xobj in (resources.get("/XObject") or {}).items():
            if xobj.objgen in seen or xobj.get("/Subtype") != "/Form":
                continue
            seen.add(xobj.objgen)
            inner = xobj.get("/Resources") or pikepdf.Dictionary()
            yield number, xobj, inner
            yield from forms(inner, number)

    for number, page in enumerate(pdf.pages, 1):
        resources = page.obj.get("/Resources") or pikepdf.Dictionary()
        yield number, page, resources
        yield from forms(resources, number)


def _colour_spaces(resources) -> dict[str, str]:
    """Resource name → 'rgb', 'cmyk', 'gray' or 'other'."""
    spaces = {}
    for name, space in (resources.get("/ColorSpace") or {}).items():
        base = space
        if isinstance(space, pikepdf.Array) and str(space[0]) == "/ICCBased":
            n = int(space[1].get("/N", 0))
            spaces[name] = {3: "rgb", 4: "cmyk", 1: "gray"}.get(n, "other")
            continue
        base = str(space[0] if isinstance(space, pikepdf.Array) else space)
        spaces[name] = {"/DeviceRGB": "rgb", "/CalRGB": "rgb", "/DeviceCMYK": "cmyk", "/DeviceGray": "gray"}.get(base, "other")
    return spaces


def check_colour(pdf: pikepdf.Pdf) -> list[str]:
    """Problems with colour in a print file: any RGB operator, colour space or image."""
    problems = []
    for number, obj, resources in _content_objects(pdf):
        spaces = _colour_spaces(resources)
        for name, xobj in (resources.get("/XObject") or {}).items():
            if xobj.get("/Subtype") == "/Image":
                cs = xobj.get("/ColorSpace")
                if cs is not None and ("RGB" in str(cs) or (isinstance(cs, pikepdf.Array) and str(cs[0]) == "/ICCBased" and int(cs[1].get("/N", 0)) == 3)):
                    problems.append(f"第 {number} 页有 RGB 图片 {name}")
        for _, shading in (resources.get("/Shading") or {}).items():
            if "RGB" in str(shading.get("/ColorSpace")):
                problems.append(f"第 {number} 页有 RGB 渐变")
        for operands, operator in pikepdf.parse_content_stream(obj, " ".join([*RGB_OPERATORS, "cs", "CS"])):
            op = str(operator)
            if op in RGB_OPERATORS:
                problems.append(f"第 {number} 页使用了 RGB 颜色（{op}）")
            elif op in ("cs", "CS") and spaces.get(str(operands[0]), "cmyk" if str(operands[0]) == "/DeviceCMYK" else "rgb" if str(operands[0]) == "/DeviceRGB" else "other") == "rgb":
                problems.append(f"第 {number} 页使用了 RGB 色彩空间 {operands[0]}")
    return sorted(set(problems))


_CIDCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s+(\d+)")
_CIDRANGE = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s+(\d+)")


class _FontGlyphs:
    """How a composite font maps the 2-byte codes of shown strings to glyphs it really has.

    With ``/Identity-H`` a code is the glyph id. When a character is missing,
    WeasyPrint writes an encoding CMap instead that maps its code to CID 0, the
    .notdef box; codes it does not list map to 0 as well.
    """

    def __init__(self, font: pikepdf.Dictionary):
        self.table: dict[int, int] | None = None  # None: identity
        encoding = font.get("/Encoding")
        if isinstance(encoding, pikepdf.Stream):
            data = encoding.read_bytes()
            self.table = {}
            for block in re.findall(rb"begincidrange(.*?)endcidrange", data, re.S):
                for low, high, first in _CIDRANGE.findall(block):
                    for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                        self.table[code] = int(first) + offset
            for block in re.findall(rb"begincidchar(.*?)endcidchar", data, re.S):
                for code, cid in _CIDCHAR.findall(block):
                    self.table[int(code, 16)] = int(cid)
        self.count = self._glyph_count(font)
        # the codes that draw a real glyph (None with identity: 0 < code < count)
        self.drawable = None if self.table is None else \
            {code for code, cid in self.table.items() if cid != 0 and (self.count is None or cid < self.count)}

    @staticmethod
    def _glyph_count(font) -> int | None:
        descriptor = font.DescendantFonts[0].get("/FontDescriptor") or {}
        program = next((descriptor[k] for k in ("/FontFile3", "/FontFile2", "/FontFile") if k in descriptor), None)
        if program is None:
            return None
        data = program.read_bytes()
        if program.get("/Subtype") == "/CIDFontType0C":
            from fontTools.cffLib import CFFFontSet

            cff = CFFFontSet()
            cff.decompile(io.BytesIO(data), None)
            return len(cff[cff.fontNames[0]].charset)
        from fontTools.ttLib import TTFont

        return TTFont(io.BytesIO(data), lazy=True)["maxp"].numGlyphs  # reading the glyph order would parse CFF

    def missing(self, data: bytes) -> bool:
        """Whether a shown string draws a .notdef box (its 2-byte codes, read in C: a loop over
        the bytes took 40 ms of each join's check)."""
        codes = array.array("H", data[:len(data) - len(data) % 2])
        if sys.byteorder == "little":
            codes.byteswap()  # the codes are big-endian
        if not codes:
            return False
        if self.drawable is None:
            return min(codes) == 0 or (self.count is not None and max(codes) >= self.count)
        return not self.drawable.issuperset(codes)


def check_notdef(pdf: pikepdf.Pdf) -> list[str]:
    """Characters drawn as .notdef boxes: a shown code whose glyph is 0 or past the font's end."""
    problems, fonts_seen = [], {}
    for number, obj, resources in _content_objects(pdf):
        fonts = resources.get("/Font") or {}
        for name, codes in _shown_codes(obj):
            font = fonts.get(name)
            if font is None or font.get("/Subtype") != "/Type0":
                continue
            # read each font program once: a joined file's parts keep font dictionaries of
            # their own that share one encoding and descendant font (tujie/merge.py)
            key = (font.get("/Encoding").objgen if isinstance(font.get("/Encoding"), pikepdf.Stream)
                   else None, font.DescendantFonts[0].objgen)
            if key not in fonts_seen:
                fonts_seen[key] = _FontGlyphs(font)
            if fonts_seen[key].missing(codes):
                problems.append(f"第 {number} 页画出了缺字方框（.notdef）")
    return sorted(set(problems))


_SHOWN_KEPT = 4096  # content streams: a booklet has ~100 (pages, charts, icons)
_shown: OrderedDict[bytes, tuple] = OrderedDict()


def _shown_codes(obj) -> tuple[tuple[str, bytes], ...]:
    """The codes a content stream shows, font resource by font resource: (name, 2-byte codes).

    Kept by the stream's digest: a resident builder checks a revision whose
    pages are mostly the last one's, and parsing every content stream was
    ~75 % of a joined screen file's check.
    """
    digest = hashlib.blake2b(digest_size=16)
    if isinstance(obj, pikepdf.Page):
        contents = obj.obj.get("/Contents")
        streams = contents if isinstance(contents, pikepdf.Array) else [contents] if contents is not None else []
    else:
        streams = [obj]
    for stream in streams:  # as stored: the same bytes under the same filters decode to the same operators
        raw = stream.read_raw_bytes()
        filters = repr((stream.get("/Filter"), stream.get("/DecodeParms"))).encode()
        digest.update(len(filters).to_bytes(4, "big") + filters + len(raw).to_bytes(8, "big") + raw)
    key = digest.digest()
    if key in _shown:
        _shown.move_to_end(key)
        return _shown[key]
    shown: dict[str, list[bytes]] = {}
    font = None
    # only the operators this needs, filtered by qpdf: most of a page's operators draw shapes and images
    for operands, operator in pikepdf.parse_content_stream(obj, "Tf Tj TJ ' \""):
        op = str(operator)
        if op == "Tf":
            font = str(operands[0])
        elif font is not None:
            strings = [item for item in operands[0] if isinstance(item, pikepdf.String)] if op == "TJ" \
                else [operands[-1]]
            # each string whole: a code never spans two strings
            shown.setdefault(font, []).extend(bytes(s)[:len(bytes(s)) - len(bytes(s)) % 2] for s in strings)
    result = _shown[key] = tuple((name, b"".join(parts)) for name, parts in shown.items())
    if len(_shown) > _SHOWN_KEPT:
        _shown.popitem(last=False)
    return result


def check_fonts(pdf: pikepdf.Pdf) -> list[str]:
    problems = []
    for obj in pdf.objects:
        if not (isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font"):
            continue
        name = str(obj.get("/BaseFont", "")).lstrip("/")
        subtype = obj.get("/Subtype")
        if subtype == "/Type0":
            if "/ToUnicode" not in obj:
                problems.append(f"字体 {name} 没有 ToUnicode（文字无法复制和搜索）")
            prefix, _, real = name.partition("+")
            if not (len(prefix) == 6 and prefix.isupper()):
                problems.append(f"字体 {name} 没有子集化")
            if not real.startswith(BUNDLED_FAMILY):
                problems.append(f"字体 {name} 不是项目 fonts/ 里的字体")
            descriptor = obj.DescendantFonts[0].get("/FontDescriptor") or {}
        elif subtype == "/CIDFontType0" or subtype == "/CIDFontType2":
            continue
        else:
            descriptor = obj.get("/FontDescriptor") or {}
            if not name.partition("+")[2].startswith(BUNDLED_FAMILY):
                problems.append(f"字体 {name} 不是项目 fonts/ 里的字体")
        if not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            problems.append(f"字体 {name} 没有嵌入")
    return problems


@dataclass(frozen=True)
class Geometry:
    """The page a report asks for (its ``page:`` settings): trim size and bleed in millimetres."""

    width_mm: float
    height_mm: float
    bleed_mm: float

    @classmethod
    def of(cls, page) -> "Geometry":
        return cls(page.width_mm, page.height_mm, page.bleed_mm)


BOX_TOLERANCE_MM = 0.1  # rounding of WeasyPrint's px → pt; a real error is a millimetre or more


def _mm(points: float) -> str:
    return f"{points / MM:.1f}".rstrip("0").rstrip(".")


def check_boxes(pdf: pikepdf.Pdf, geometry: Geometry | None, spread: bool = False) -> list[str]:
    """Every page has TrimBox and BleedBox, the trim is the report's page size (two pages for an
    imposed spread) and the bleed is what the report asks on every side; without ``geometry``
    (a loose file) only that the boxes are there, nested and the same on every page."""
    problems = []
    sizes, bleeds = set(), set()
    for number, page in enumerate(pdf.pages, 1):
        if "/TrimBox" not in page.obj or "/BleedBox" not in page.obj:
            problems.append(f"第 {number} 页缺少 TrimBox 或 BleedBox")
            continue
        trim = [float(v) for v in page.obj.TrimBox]
        bleed = [float(v) for v in page.obj.BleedBox]
        media = [float(v) for v in page.obj.MediaBox]
        margins = [trim[0] - bleed[0], trim[1] - bleed[1], bleed[2] - trim[2], bleed[3] - trim[3]]
        width, height = trim[2] - trim[0], trim[3] - trim[1]
        sizes.add((_mm(width), _mm(height)))
        bleeds.add(_mm(min(margins)))
        if not (media[0] <= bleed[0] and media[1] <= bleed[1] and media[2] >= bleed[2] and media[3] >= bleed[3]):
            problems.append(f"第 {number} 页的 BleedBox 超出了 MediaBox")
        if min(margins) < -BOX_TOLERANCE_MM * MM:
            problems.append(f"第 {number} 页的 BleedBox 比 TrimBox 还小")
        if geometry is None:
            continue
        want_w = geometry.width_mm * (2 if spread else 1)
        if abs(width / MM - want_w) > BOX_TOLERANCE_MM or abs(height / MM - geometry.height_mm) > BOX_TOLERANCE_MM:
            problems.append(f"第 {number} 页成品尺寸是 {_mm(width)}×{_mm(height)} 毫米，"
                            f"报告要求 {want_w:g}×{geometry.height_mm:g} 毫米")
        off = [m for m in margins if abs(m / MM - geometry.bleed_mm) > BOX_TOLERANCE_MM]
        if off:
            worst = min(off) if min(off) / MM < geometry.bleed_mm else max(off)
            kind = "不足" if worst / MM < geometry.bleed_mm else "多于"
            problems.append(f"第 {number} 页出血{kind}报告要求的 {geometry.bleed_mm:g} 毫米"
                            f"（BleedBox 距成品线 {_mm(worst)} 毫米）")
    if len(sizes) > 1:
        problems.append(f"各页成品尺寸不一致：{'、'.join(f'{w}×{h} 毫米' for w, h in sorted(sizes))}")
    if geometry is None and len(bleeds) > 1:
        problems.append(f"各页出血不一致：{'、'.join(sorted(bleeds))} 毫米")
    return problems


def check_page_size(pdf: pikepdf.Pdf, geometry: Geometry) -> list[str]:
    """The screen file's pages are cut at the trim: each one the report's page size."""
    problems = []
    for number, page in enumerate(pdf.pages, 1):
        box = [float(v) for v in page.obj.get("/CropBox", page.obj.MediaBox)]
        width, height = box[2] - box[0], box[3] - box[1]
        if abs(width / MM - geometry.width_mm) > BOX_TOLERANCE_MM or abs(height / MM - geometry.height_mm) > BOX_TOLERANCE_MM:
            problems.append(f"第 {number} 页是 {_mm(width)}×{_mm(height)} 毫米，报告要求 "
                            f"{geometry.width_mm:g}×{geometry.height_mm:g} 毫米")
    return problems


def check_images(pdf: pikepdf.Pdf) -> list[str]:
    """Raster images must have at least 300 dpi at their placed size."""
    has_images = any(
        xobj.get("/Subtype") == "/Image"
        for _, _, resources in _content_objects(pdf)
        for _, xobj in (resources.get("/XObject") or {}).items()
    )
    if not has_images:  # charts are vector: nothing to measure (and pdfplumber is slow)
        return []
    import pdfplumber

    problems = []
    with pdfplumber.open(pdf.filename) as plumber:
        for number, page in enumerate(plumber.pages, 1):
            for image in page.images:
                src_w, src_h = image.get("srcsize", (0, 0))
                width_in, height_in = image["width"] / 72, image["height"] / 72
                if width_in and height_in:
                    dpi = min(src_w / width_in, src_h / height_in)
                    if dpi < MIN_DPI:
                        problems.append(f"第 {number} 页的图片只有 {dpi:.0f} dpi（至少需要 {MIN_DPI} dpi）")
    return problems


def check_metadata(pdf: pikepdf.Pdf, kind: str) -> list[str]:
    problems = []
    if not str(pdf.docinfo.get("/Title", "")).strip():
        problems.append("缺少标题（Title）")
    if str(pdf.Root.get("/Lang", "")) != "zh-CN":
        problems.append("文档语言不是 zh-CN")
    meta = pdf.open_metadata()  # read only (see _kind)
    if kind == "print" and not meta.get("pdfxid:GTS_PDFXVersion"):
        problems.append("缺少 PDF/X 标识")
    if kind == "screen" and not meta.get("pdfaid:part"):
        problems.append("缺少 PDF/A 标识")
    return problems


def check_qr(path: Path, url: str | None) -> tuple[list[str], str]:
    """The cover's QR code, rendered at 300 dpi and decoded: it must lead to ``url``, be ≥ 20 mm, with its quiet zone."""
    from .qr import MIN_MM, QUIET_MODULES, read_codes

    codes = read_codes(path, 0, dpi=300)
    if not codes:
        return ([f"封面上没有读出二维码（应指向 {url}）"] if url else []), "封面没有二维码"
    problems = []
    for code in codes:
        if url and code.text != url:
            problems.append(f"封面二维码指向“{code.text}”，数据里的网页版地址是“{url}”")
        if code.size_mm < MIN_MM:
            problems.append(f"封面二维码只有 {code.size_mm:.1f} 毫米宽，至少应为 {MIN_MM} 毫米")
        if not code.quiet_zone:
            problems.append(f"封面二维码四周的空白不足 {QUIET_MODULES} 个模块宽")
    first = codes[0]
    return problems, f"封面二维码按 300 dpi 读出“{first.text}”，{first.size_mm:.1f} 毫米宽，四周留白充足"


def check_pdf(path: Path, report=None, geometry: Geometry | None = None) -> list[Finding]:
    """Every preflight rule that applies to this PDF. ``report``: the validated Report it was made from, if
    known; page boxes are checked against its page (or ``geometry``)."""
    if geometry is None and report is not None:
        geometry = Geometry.of(report.page)
    file = str(path)
    findings: list[Finding] = []

    def add(rule: str, problems: list[str], ok_message: str) -> None:
        if problems:
            findings.extend(Finding(file, rule, False, p) for p in problems[:8])
        else:
            findings.append(Finding(file, rule, True, ok_message))

    try:
        pdf = pikepdf.open(path)
    except (pikepdf.PdfError, OSError) as exc:
        return [Finding(file, "文件", False, f"无法作为 PDF 打开（{exc}）")]
    with pdf:
        kind = _kind(pdf)
        label = {"print": "印刷版（PDF/X-4）", "screen": "屏幕版（PDF/A-3a）"}.get(kind, "PDF")
        if pdf.docinfo.get(IMPOSED_KEY):
            label = "拼版（PDF/X-4）"
        findings.append(Finding(file, "类型", True, f"{label}，{len(pdf.pages)} 页"))
        add("字体", check_fonts(pdf), "全部嵌入并子集化，带 ToUnicode，均来自 fonts/")
        add("缺字", check_notdef(pdf), "没有缺字方框")
        add("元数据", check_metadata(pdf, kind), "标题、语言和标准标识齐全")
        if kind == "screen" and geometry is not None:
            add("页面尺寸", check_page_size(pdf, geometry), f"每页 {geometry.width_mm:g}×{geometry.height_mm:g} 毫米，与报告一致")
        if kind == "print":
            spread = bool(pdf.docinfo.get(IMPOSED_KEY))
            if geometry is not None:
                size = f"{geometry.width_mm * (2 if spread else 1):g}×{geometry.height_mm:g}"
                boxes_ok = f"每页都有 TrimBox 和 BleedBox，成品 {size} 毫米，出血 {geometry.bleed_mm:g} 毫米，与报告一致"
            else:
                boxes_ok = "每页都有 TrimBox 和 BleedBox，各页一致（没有报告数据，未核对尺寸和出血）"
            add("页面框", check_boxes(pdf, geometry, spread), boxes_ok)
            intents = pdf.Root.get("/OutputIntents", [])
            add("输出意图", [] if intents else ["缺少输出意图（OutputIntent）"], "已设置 CMYK 输出意图")
            add("颜色", check_colour(pdf), "全部为 CMYK，没有 RGB")
            pages = len(pdf.pages)
            if pdf.docinfo.get(IMPOSED_KEY):
                add("页数", [] if pages % 2 == 0 else [f"拼版有 {pages} 面，应为双数（每张纸正反两面）"], f"{pages} 面拼版（{pages // 2} 张纸）")
            else:
                add("页数", [] if pages % 4 == 0 else [f"{pages} 页不是 4 的倍数，不能骑马钉装订"], f"{pages} 页，是 4 的倍数")
            add("图片分辨率", check_images(pdf), "没有低于 300 dpi 的图片（图表均为矢量）")
        if kind in ("print", "screen") and not pdf.docinfo.get(IMPOSED_KEY):
            url = report.report.web_url if report is not None else None
            if url or report is None:  # built without web_url: no code expected; a file alone: read what is there
                problems, message = check_qr(path, url)
                add("二维码", problems, message)
    return findings


def check_long_image(path: Path) -> list[Finding]:
    file = str(path)
    size = path.stat().st_size
    with Image.open(path) as image:
        width = image.width
    problems = []
    if width != LONG_IMAGE_WIDTH:
        problems.append(f"宽度是 {width} 像素，应为 {LONG_IMAGE_WIDTH} 像素")
    if size > LONG_IMAGE_MAX_BYTES:
        problems.append(f"文件有 {size / 1024 / 1024:.1f} MB，超过 8 MB")
    if problems:
        return [Finding(file, "长图", False, p) for p in problems]
    return [Finding(file, "长图", True, f"{width} 像素宽，{size / 1024 / 1024:.1f} MB")]


def recorded_geometry(folder: Path) -> Geometry | None:
    """The page size and bleed the last build of the report in ``folder`` was made for (its build record)."""
    import json

    from .build import RECORD

    try:
        page = json.loads((folder / RECORD).read_text(encoding="utf-8"))["page"]
        return Geometry(float(page["width_mm"]), float(page["height_mm"]), float(page["bleed_mm"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def check_paths(paths: list[Path], geometry: Geometry | None = None) -> list[Finding]:
    """Preflight files, or every edition's files inside the given folders.

    Which check a file gets is decided by the edition registry
    (tujie/registry.py): each edition claims its own files. ``geometry`` is the
    report's page; for a folder without it, the one in its build record.
    """
    from .registry import edition_of

    findings = []
    for path in paths:
        expected = geometry
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if not p.name.startswith(".") and edition_of(p))
            expected = expected or recorded_geometry(path)
        else:
            files = [path]
        if not files:
            findings.append(Finding(str(path), "文件", False, "没有找到可检查的文件"))
        for file in files:
            edition = edition_of(file)
            if not file.exists():
                findings.append(Finding(str(file), "文件", False, "文件不存在"))
            elif edition is None:
                findings.append(Finding(str(file), "文件", False, "不是本程序生成的任何一种版本"))
            else:
                findings.extend(edition.check(file, geometry=expected))
    return findings


_REFERENCE = re.compile(r"""(?:\bsrc|\bhref|\bxlink:href)\s*=\s*["']([^"']*)["']|url\(\s*["']?([^"')]*)["']?\s*\)""")


def web_references(page: str) -> list[str]:
    """Every URL an HTML page (with its inline CSS and SVG) refers to."""
    return [a or b for a, b in _REFERENCE.findall(page)]


def check_web(folder: Path, max_bytes: int) -> list[Finding]:
    """The web edition: complete, inside its folder, light, and fonts covering exactly what is shown."""
    from fontTools.ttLib import TTFont

    from .web import page_characters

    file = str(folder / "index.html")
    if not (folder / "index.html").is_file():
        return [Finding(file, "网页版", False, "没有 index.html")]
    page = (folder / "index.html").read_text(encoding="utf-8")
    findings = []

    def add(rule: str, problems: list[str], ok_message: str) -> None:
        findings.extend([Finding(file, rule, False, p) for p in problems[:8]] or [Finding(file, rule, True, ok_message)])

    outside, missing = [], []
    for ref in web_references(page):
        if ref.startswith("#"):
            continue
        if re.match(r"^[a-z][a-z0-9+.-]*:|^//|^/|\.\.", ref, re.I):
            outside.append(f"引用了网页版文件夹以外的资源：{ref[:80]}")
        elif not (folder / ref).is_file():
            missing.append(f"引用的文件不存在：{ref}")
    add("网页版引用", outside + missing, "只引用 web/ 里的文件，没有外部请求")
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    add("网页版大小", [f"共 {size / 1024 / 1024:.2f} MB，超过 {max_bytes / 1024 / 1024:.0f} MB"] if size > max_bytes else [],
        f"共 {size / 1024:.0f} KB")
    problems = []
    if '<html lang="zh-CN">' not in page:
        problems.append('缺少 lang="zh-CN"')
    if "<script" in page:
        problems.append("含有脚本（网页版不应需要 JavaScript）")
    # a chart is an image labelled by its caption; anything else drawn in SVG is decoration
    unlabelled = [m for m in re.findall(r"<svg\b[^>]*>", page) if 'aria-hidden="true"' not in m
                  and not ('role="img"' in m and re.search(r"aria-label(ledby)?=\"[^\"]+\"", m))]
    if unlabelled:
        problems.append(f"有 {len(unlabelled)} 个图表没有文字说明（aria-labelledby）")
    if re.search(r"<img\b(?![^>]*\balt=)", page):
        problems.append("有图片没有 alt 文字")
    add("网页版结构", problems, "语言、图表说明齐全，不需要脚本")
    shown = {ord(ch) for ch in page_characters(page)}
    font_problems = []
    fonts = sorted((folder / "fonts").glob("*.woff2"))
    for font_path in fonts:
        with TTFont(font_path) as font:
            cmap = set(font.getBestCmap())
        if shown - cmap:
            font_problems.append(f"{font_path.name} 缺少 {len(shown - cmap)} 个字，如“{chr(min(shown - cmap))}”")
        if cmap - shown:
            font_problems.append(f"{font_path.name} 多了 {len(cmap - shown)} 个页面上没有的字")
    if not fonts:
        font_problems.append("没有字体文件")
    add("网页版字体", font_problems, f"{len(fonts)} 个 WOFF2 字体，恰好包含页面上的 {len(shown)} 个字符")
    return findings
