"""tujie: turn a report's YAML data into an illustrated Chinese booklet (图解).

The pipeline runs one way through one module per stage:

    load (YAML → typed Report)  →  figures (matplotlib SVG charts)
    →  layout (Jinja2 HTML)  →  pdf (WeasyPrint, fonts, bookmarks)  →  check

``render.py`` at the project root is the command-line front end; it only
parses arguments and calls :func:`tujie.build.build_report`.
"""

import warnings

# WeasyPrint warns at import when fontconfig knows no system fonts. The booklet never uses system fonts
# (every face comes from fonts/ by @font-face), so on a bare machine that warning only misleads the user.
warnings.filterwarnings("ignore", message=r"(No fonts configured in FontConfig|FontConfig cannot load default)",
                        category=UserWarning, module=r"weasyprint")
