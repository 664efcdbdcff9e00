"""Chinese typesetting for the booklet, following W3C clreq (basic level).

WeasyPrint sets Chinese text with Pango's Unicode line breaking and nothing
more: justified Chinese stays ragged, punctuation is never compressed, and a
few marks may start a line. This package closes those gaps:

* :mod:`.clreq` — the rules themselves, as plain functions over characters;
* :mod:`.patch` — applies them inside the pinned WeasyPrint (70.0):
  :func:`install` is called by ``tujie/pdf.py`` before every layout;
* :mod:`.sample` — the before/after sample page
  (``python render.py sample-typography``).

Each report picks its punctuation style and Han–Latin spacing in
``typography:`` (see :class:`tujie.model.Typography`); the booklet's style
sheet turns them into the CSS custom properties :mod:`.patch` reads.
"""

from .patch import install, installed, uninstall

__all__ = ["install", "installed", "uninstall"]
