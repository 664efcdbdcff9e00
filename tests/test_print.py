"""Page geometry and fonts of the produced PDF."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest

from conftest import DEFAULT
from tujie.build import PROJECT

MM = 72 / 25.4


def boxes(page) -> dict[str, list[float]]:
    return {name: [float(v) for v in page.obj[name]] for name in ("/MediaBox", "/TrimBox", "/BleedBox") if name in page.obj}


def test_a4_trim_with_3mm_bleed(default_build):
    with pikepdf.open(default_build.files["print"]) as pdf:
        for page in pdf.pages:
            b = boxes(page)
            trim, bleed = b["/TrimBox"], b["/BleedBox"]
            assert trim[2] - trim[0] == pytest.approx(210 * MM, abs=0.5)
            assert trim[3] - trim[1] == pytest.approx(297 * MM, abs=0.5)
            assert trim[0] - bleed[0] == pytest.approx(3 * MM, abs=0.2)
            assert bleed[3] - trim[3] == pytest.approx(3 * MM, abs=0.2)


def test_sample_report_uses_its_own_page_size(sample_build):
    with pikepdf.open(sample_build.files["print"]) as pdf:
        trim = boxes(pdf.pages[0])["/TrimBox"]
    assert trim[2] - trim[0] == pytest.approx(176 * MM, abs=0.5)
    assert trim[3] - trim[1] == pytest.approx(250 * MM, abs=0.5)


def test_cover_colour_runs_into_the_bleed(default_build):
    """Sample pixels in the bleed (outside the trim, inside the BleedBox) of the cover."""
    import pypdfium2

    with pikepdf.open(default_build.files["print"]) as pdf:
        b = boxes(pdf.pages[0])
    media, trim = b["/MediaBox"], b["/TrimBox"]
    doc = pypdfium2.PdfDocument(str(default_build.files["print"]))
    scale = 2
    image = doc[0].render(scale=scale).to_pil().convert("RGB")
    height = media[3] - media[1]

    def pixel(x_pt, y_pt):  # PDF coordinates → image pixel
        return image.getpixel((round((x_pt - media[0]) * scale), round((height - (y_pt - media[1])) * scale)))

    in_bleed = 1.5 * MM
    corners = [(trim[0] - in_bleed, trim[3] + in_bleed), (trim[2] + in_bleed, (trim[1] + trim[3]) / 2),
               ((trim[0] + trim[2]) / 2, trim[1] - in_bleed)]
    for x, y in corners:
        assert pixel(x, y) != (255, 255, 255), (x, y)
    # and the slug beyond the bleed is blank paper (only marks are drawn there)
    assert pixel(trim[0] - 8 * MM, (trim[1] + trim[3]) / 2) == (255, 255, 255)


def fonts_used(pdf_path: Path) -> dict[str, dict]:
    """BaseFont name → properties of every composite (Type0) font in the PDF."""
    found = {}
    with pikepdf.open(pdf_path) as pdf:
        for obj in pdf.objects:
            if not (isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font"):
                continue
            if obj.get("/Subtype") != "/Type0":
                assert obj.get("/Subtype") == "/CIDFontType0", f"unexpected font type {obj.get('/Subtype')}"
                continue
            descendant = obj.DescendantFonts[0]
            descriptor = descendant.FontDescriptor
            found[str(obj.BaseFont).lstrip("/")] = {
                "embedded": any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")),
                "tounicode": "/ToUnicode" in obj,
            }
    return found


def test_fonts_are_bundled_embedded_subset_with_tounicode(default_build):
    fonts = fonts_used(default_build.pdf)
    assert fonts
    for name, props in fonts.items():
        prefix, _, real = name.partition("+")
        assert len(prefix) == 6 and prefix.isupper(), f"{name} is not a subset"
        # only the bundled fonts carry the family name "Noto Sans SC" (no system font does;
        # test_same_pdf_without_any_system_font proves the rest)
        assert real.startswith("Noto-Sans-SC"), f"{name} is not from fonts/"
        assert props["tounicode"], f"{name} has no ToUnicode map"
        assert props["embedded"], f"{name} is not embedded"
    styles = {name.partition("+")[2].removeprefix("Noto-Sans-SC").lstrip("-") or "Regular" for name in fonts}
    # real heavy weights are used (never synthesized bold)
    assert {"Regular", "Bold"} <= styles and styles & {"Heavy", "Black"}


def test_missing_glyph_stops_the_build(tmp_path):
    from tujie.build import Paths, build_report
    from tujie.errors import ReportError

    text = DEFAULT.read_text(encoding="utf-8").replace("杭州钱塘科学城挂牌成立；", "杭州钱塘科学城挂牌成立𠀀；")
    source = tmp_path / "rare.yaml"
    source.write_text(text, encoding="utf-8")
    with pytest.raises(ReportError) as info:
        build_report(source, Paths(output=tmp_path / "out"), editions=("screen",))
    assert "𠀀" in str(info.value) or "U+20000" in str(info.value)


def test_rebuild_in_another_process_without_system_fonts_is_byte_identical(default_build, tmp_path):
    """A second build, in a new process with an empty fontconfig (no system fonts at all),
    gives byte-identical files for every edition: output depends only on the inputs."""
    config = tmp_path / "fonts.conf"
    config.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig></fontconfig>')
    env = {**os.environ, "FONTCONFIG_FILE": str(config), "FONTCONFIG_PATH": str(tmp_path)}
    out = tmp_path / "out"
    rebuilt = out / default_build.out_dir.name
    stale = rebuilt / "qiantang-2021-r0-print.pdf"  # an earlier revision's file left in the folder
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"%PDF- an older printing")
    done = subprocess.run([sys.executable, str(PROJECT / "render.py"), str(DEFAULT), "-o", str(out), "--impose"],
                          check=True, env=env, cwd=PROJECT, capture_output=True, text=True)
    # we never use system fonts, so WeasyPrint's "No fonts configured in FontConfig" would only mislead
    assert "FontConfig" not in done.stderr and "Warning" not in done.stderr, done.stderr

    def published(folder):  # the files users get; dot files are the build's own records
        return sorted(p.relative_to(folder) for p in folder.rglob("*") if p != stale
                      and p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts))

    first, second = published(default_build.out_dir), published(rebuilt)
    assert first == second and len(first) > 20
    different = [str(p) for p in first if (default_build.out_dir / p).read_bytes() != (rebuilt / p).read_bytes()]
    assert different == []
    # SHA256SUMS lists exactly this build's files, with correct digests (what `sha256sum -c` checks)
    rows = dict(reversed(line.split("  ", 1)) for line in (rebuilt / "SHA256SUMS").read_text(encoding="utf-8").splitlines())
    assert sorted(rows) == sorted(str(p) for p in second if p.name != "SHA256SUMS")
    assert all(hashlib.sha256((rebuilt / name).read_bytes()).hexdigest() == digest for name, digest in rows.items())
    assert stale.name not in rows
