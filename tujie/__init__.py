"""tujie: turn a report's YAML data into an illustrated Chinese booklet (图解).

The pipeline runs one way through one module per stage:

    load (YAML → typed Report)  →  figures (matplotlib SVG charts)
    →  layout (Jinja2 HTML)  →  pdf (WeasyPrint, fonts, bookmarks)  →  check

``render.py`` at the project root is the command-line front end; it only
parses arguments and calls :func:`tujie.build.build_report`.
"""
