"""The icon set: Lucide's icons (the ``lucide`` package's archive), by name.

In:  an icon name from the report (``icon: factory``) and drawing options.
Out: whether the set has it (:func:`check`, for the schema), and its inline
SVG markup (:func:`svg`, the templates' ``lucide``).

The package opens its 1,700-icon archive again for every icon it draws
(15-30 ms each, so 0.2-0.4 s of a command-line build's HTML for a dozen
icons) and raises a bare ``IconDoesNotExist`` for a name it lacks. Here the
archive is opened once, a name is checked when the report is loaded (with the
nearest real names in the message), and each drawn icon is kept by name and
options; the markup is what ``lucide.jinja.lucide`` gives.
"""

from __future__ import annotations

import difflib
import functools
import io
from importlib.resources import files
from xml.etree import ElementTree
from zipfile import ZipFile

from markupsafe import Markup

SVG_NS = "{http://www.w3.org/2000/svg}"
ON_PATHS = frozenset({"stroke-linecap", "stroke-linejoin", "vector-effect"})  # set on each path, as Lucide does
CATALOGUE = "https://lucide.dev/icons/"


@functools.lru_cache(maxsize=1)
def _archive() -> ZipFile:
    # read into memory (650 KB), not kept open: a forked child (the web edition's) would share the
    # open file's position with its parent, and two processes reading at once would garble both
    return ZipFile(io.BytesIO(files("lucide").joinpath("lucide.zip").read_bytes()))


@functools.lru_cache(maxsize=1)
def names() -> frozenset[str]:
    return frozenset(n.removesuffix(".svg") for n in _archive().namelist() if n.endswith(".svg"))


def check(name: str) -> str:
    """``name`` if the set has it; else a ValueError in the loader's words (for pydantic)."""
    if name in names():
        return name
    near = difflib.get_close_matches(name, sorted(names()), n=3, cutoff=0.6)
    hint = f"，是不是 {'、'.join(near)}？" if near else "。"
    raise ValueError(f"没有名为“{name}”的图标{hint}全部图标名见 {CATALOGUE}")


def svg(name: str, *, size: int | None = 24, **options) -> Markup:
    """The icon as inline SVG; options are attributes (``stroke_width`` → ``stroke-width``)."""
    return _svg(name, size, tuple(sorted(options.items())))


@functools.lru_cache(maxsize=1024)
def _svg(name: str, size: int | None, options: tuple) -> Markup:
    check(name)
    root = ElementTree.fromstring(_archive().read(f"{name}.svg"))
    for node in root.iter():
        node.tag = node.tag.removeprefix(SVG_NS)  # serialised without an ns0: prefix
    if size is not None:
        root.attrib["width"] = root.attrib["height"] = str(size)
    attributes = {key.replace("_", "-"): str(value) for key, value in options}
    root.attrib.update({k: v for k, v in attributes.items() if k not in ON_PATHS})
    for path in root.findall("path"):
        path.attrib.update({k: v for k, v in attributes.items() if k in ON_PATHS})
    return Markup(ElementTree.tostring(root, encoding="unicode"))
