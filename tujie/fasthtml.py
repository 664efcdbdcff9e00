"""Parse the booklet's own HTML quickly, into the tree an HTML5 parser would build.

In: an HTML string made by this project's templates. Out: its root element
(``xml.etree.ElementTree``, HTML elements without a namespace, SVG elements in
the SVG namespace), exactly as ``tinyhtml5.parse(html,
namespace_html_elements=False)`` gives it, or None when the text may parse
differently, so that the caller lets WeasyPrint parse it.

WeasyPrint parses HTML with tinyhtml5, in pure Python: ~85 ms of the ~650 ms
a booklet section takes to lay out, ~50 ms of the data index's ~500. Our
templates write HTML that is XML but for void elements and a namespace-less
``<svg>``; with those two written the XML way, expat (in C) parses it 30-60
times faster. Where HTML5 parsing and XML parsing would build different
trees, this returns None:

* text that is not XML (entities beyond XML's, unquoted attributes, ``<li>``
  left open, comments, which expat drops): expat refuses it;
* a block element inside ``<p>`` (HTML5 closes the paragraph before it) and a
  table row outside ``<tbody>`` (HTML5 adds one): found by a walk of the tree;
* a newline or tab inside an attribute value (XML turns it into a space);
* raw text (``<style>``, ``<script>``; HTML5 decodes no entity there) and
  ``<pre>``/``<textarea>`` (HTML5 drops their first newline);
* an HTML element or attribute name with capitals (HTML5 lowercases them;
  SVG's camel case, as in ``viewBox``, is kept by both).

Whitespace before ``<head>`` and after ``</body>`` is moved where HTML5 puts it.
tests/test_parts.py compares both parsers' trees on every part of every report.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

SVG = "http://www.w3.org/2000/svg"
_VOID = re.compile(r"<(area|base|br|col|embed|hr|img|input|link|meta|source|track|wbr)\b([^>]*?)/?>")
_SVG_OPEN = re.compile(r"<svg\b(?![^>]*\bxmlns=)")
_DOCTYPE = re.compile(r"^\s*<!DOCTYPE html>\s*", re.I)
_ATTRIBUTE_BREAK = re.compile(r"=\s*\"[^\"]*[\t\n\r]")
_RAW_OR_TRIMMED = re.compile(r"<(style|script|pre|textarea|listing)\b", re.I)
# elements whose start tag closes an open <p> in HTML5 (the "in body" insertion mode)
_CLOSES_P = {"address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div", "dl",
             "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
             "hgroup", "hr", "main", "menu", "nav", "ol", "p", "pre", "section", "summary", "table", "ul", "li",
             "dd", "dt", "listing", "plaintext", "xmp"}


def parse(html: str):
    """The root element of ``html`` as an HTML5 parser builds it, or None (see the module docstring)."""
    if "<!--" in html or "<![CDATA[" in html or _ATTRIBUTE_BREAK.search(html) or _RAW_OR_TRIMMED.search(html):
        return None
    text = _SVG_OPEN.sub(f'<svg xmlns="{SVG}"', _VOID.sub(r"<\1\2/>", _DOCTYPE.sub("", html, count=1)))
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None
    if root.tag != "html" or [child.tag for child in root] != ["head", "body"] or not _same_as_html5(root):
        return None
    end = text.rfind("</html>")
    if end < 0:
        return None
    root.text = None  # HTML5 drops whitespace before <head>
    body = root[1]
    # whitespace after </body> and after </html> goes at the end of the body
    trailing = (body.tail or "") + text[end + len("</html>"):]
    body.tail = None
    if trailing.strip():
        return None
    if trailing:
        if len(body):
            body[-1].tail = (body[-1].tail or "") + trailing
        else:
            body.text = (body.text or "") + trailing
    return root


def _same_as_html5(root) -> bool:
    """No element an HTML5 parser would move: a block inside <p>, a row outside a row group, a list
    item inside another without a list between them."""
    for element in root.iter():
        tag = element.tag
        if not tag.startswith("{") and (tag != tag.lower() or any(name != name.lower() for name in element.attrib)):
            return False  # an HTML element (SVG ones are namespaced) with a capital in its name or attributes
        if tag == "p" and any(inner.tag in _CLOSES_P for inner in element.iter() if inner is not element):
            return False
        if tag == "table" and any(child.tag == "tr" for child in element):
            return False
        if tag == "li" and _item_inside(element):
            return False
    return True


def _item_inside(item) -> bool:
    """Whether a list item holds another list item that no list of its own holds."""
    stack = list(item)
    while stack:
        element = stack.pop()
        if element.tag == "li":
            return True
        if element.tag not in ("ul", "ol"):
            stack.extend(element)
    return False
