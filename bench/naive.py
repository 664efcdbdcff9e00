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
from tujie.build import PROJECT, HtmlSpec, Paths, draw_charts, file_stem, font_files  # noqa: E402
from tujie.check import check_paths  # noqa: E402
from tujie.load import load_report  # noqa: E402
from tujie.parts import notes_pages  # noqa: E402
from tujie.pdf import paginate, write_print, write_screen  # noqa: E402
from tujie.manifest import load_layout  # noqa: E402


MAX_NOTES = 3  # at most three notes pages are ever needed to reach a multiple of four


def paginate_padded(spec: HtmlSpec, roots: list[Path]):
    """Lay out the whole booklet in one go, padded to a multiple of four pages.

    Laid out once with three notes pages, then just enough of them are kept
    (they sit before the back cover, so dropping some moves nothing).
    """
    document = paginate(spec.html(MAX_NOTES), PROJECT, roots)
    content = len(document.pages) - MAX_NOTES - 1  # pages before the notes
    notes = notes_pages(content + 1)
    pages = document.pages[:content] + document.pages[content:content + notes] + document.pages[-1:]
    return document.copy(pages), notes


def naive_build(source: Path, out_dir: Path, paths: Paths = Paths()) -> list[Path]:
    report = load_report(source)
    layout = load_layout(paths.layouts, report.layout)
    drawn = draw_charts(report, layout, paths.fonts, cache_dir=None)
    spec = HtmlSpec(report, layout, drawn, font_files(paths.fonts), paths.cmyk_profile)
    roots = [paths.fonts, *layout.dirs, source.parent, paths.cmyk_profile.parent]
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = file_stem(source, report)

    screen_doc, _ = paginate_padded(spec, roots)  # layout for the screen edition
    screen = out_dir / f"{stem}-screen.pdf"
    write_screen(screen_doc, screen, attachments=[source])

    print_doc, _ = paginate_padded(spec, roots)  # and again for the print edition
    raw = out_dir / f".{stem}-print-raw.pdf"
    write_print(print_doc, raw, layout.theme.cmyk_table())
    printed = out_dir / f"{stem}-print.pdf"
    editions.finish_print(raw, printed, report.page.bleed_mm)
    raw.unlink()

    long_jpg = out_dir / f"{stem}-long.jpg"
    editions.long_image([screen], long_jpg, out_dir / "pages", stem)  # every page rendered
    files = [screen, printed, long_jpg]
    failed = [f for f in check_paths(files) if not f.ok]
    if failed:
        raise SystemExit("\n".join(map(str, failed)))
    return files


if __name__ == "__main__":
    naive_build(Path(sys.argv[1]), Path(sys.argv[2]))
