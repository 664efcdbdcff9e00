"""The benchmark's "naive" pipeline: the same editions made the straightforward way.

Each edition is its own WeasyPrint run, as WeasyPrint's documentation shows
(``HTML(...).render()`` then ``write_pdf``), one after another in one
process: no caches, no second process, no layout shared between editions.
It uses the project's own stages (charts, HTML, finishing, long image,
preflight), so the comparison measures the pipeline's strategy, not a
strawman.

Usage:  .venv/bin/python bench/naive.py SOURCE.yaml OUTPUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tujie import editions  # noqa: E402
from tujie.build import (PAGE_MARGIN_MM, HtmlSpec, Paths, draw_charts, file_stem, font_files,  # noqa: E402
                         paginate_padded)
from tujie.check import check_paths  # noqa: E402
from tujie.load import load_report  # noqa: E402
from tujie.pdf import write_print, write_screen  # noqa: E402
from tujie.theme import load_theme  # noqa: E402


def naive_build(source: Path, out_dir: Path, paths: Paths = Paths()) -> list[Path]:
    report = load_report(source)
    layout_dir = paths.layouts / report.layout
    theme = load_theme(layout_dir)
    width = report.page.width_mm - 2 * PAGE_MARGIN_MM
    drawn = draw_charts(report, theme, width, paths.fonts, cache_dir=None)
    spec = HtmlSpec(report, theme, drawn, layout_dir, font_files(paths.fonts), paths.cmyk_profile, round(width, 1))
    roots = [paths.fonts, layout_dir, source.parent, paths.cmyk_profile.parent]
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = file_stem(source, report)

    screen_doc, _ = paginate_padded(spec, roots)  # layout for the screen edition
    screen = out_dir / f"{stem}-screen.pdf"
    write_screen(screen_doc, screen, attachments=[source])

    print_doc, _ = paginate_padded(spec, roots)  # and again for the print edition
    raw = out_dir / f".{stem}-print-raw.pdf"
    write_print(print_doc, raw, theme.cmyk_table())
    printed = out_dir / f"{stem}-print.pdf"
    editions.finish_print(raw, printed, report.page.bleed_mm)
    raw.unlink()

    long_jpg = out_dir / f"{stem}-long.jpg"
    editions.long_image(screen, long_jpg, out_dir / "pages", stem)  # every page rendered
    files = [screen, printed, long_jpg]
    failed = [f for f in check_paths(files) if not f.ok]
    if failed:
        raise SystemExit("\n".join(map(str, failed)))
    return files


if __name__ == "__main__":
    naive_build(Path(sys.argv[1]), Path(sys.argv[2]))
