"""Property: whatever is done to a report file, loading ends in a Report or a ReportError.

Editors delete lines, paste into the wrong place, type a list where a number
goes, save half a file. ``tujie.load.load_report`` must answer every such file
with a located Chinese message (ReportError) — never a Python traceback.
Hypothesis mutates the default report two ways: as text (delete, insert,
swap values, junk characters, truncate) and as data (delete keys, swap value
types, dump back to YAML). Runs are derandomised so CI is repeatable; about
200 examples in well under a minute.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DEFAULT
from tujie.errors import ReportError
from tujie.load import load_report

TEXT = DEFAULT.read_text(encoding="utf-8")
LINES = TEXT.splitlines(keepends=True)
DATA = yaml.safe_load(TEXT)

JUNK = ["\t", "\x00", "\x07", "\u200b", "\ufeff", "😀", "𠀀", ":", ": ", "- ", "{", "}", "[", "]", "'", '"',
        "&a ", "*a", "!!python/object/apply:os.system ['true']", "<<: *a", "%", "@", "`", "|", ">", "#",
        "---", "...", "\\", "\r", "\u2028", "\x85", "010", "1e3", "no", "~", "？", "：", "\n  - x\n"]
VALUES = ["[]", "{}", "0", "-1", "1e400", "99999999999999999999", ".nan", "true", "null", "''", "x",
          "[1, 2]", "{value: 1}", "2026-02-30", "!!binary aGk=", "*nowhere", "&a 1"]


def _settings(n: int):
    return settings(max_examples=n, deadline=5000, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _loads_or_reports(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.yaml"
        path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
        try:
            load_report(path)
        except ReportError as exc:
            assert str(exc).strip(), "a ReportError must say something"


# ---------------------------------------------------------------- text mutations

line_index = st.integers(min_value=0, max_value=len(LINES) - 1)


@st.composite
def text_mutation(draw):
    kind = draw(st.sampled_from(["delete", "duplicate", "junk", "junk_line", "value", "truncate", "indent"]))
    return kind, draw(line_index), draw(st.integers(0, 200)), draw(st.sampled_from(JUNK)), draw(st.sampled_from(VALUES))


def apply_text(lines: list[str], mutation) -> list[str]:
    kind, i, offset, junk, value = mutation
    i = min(i, len(lines) - 1)
    if not lines:
        return lines
    line = lines[i]
    if kind == "delete":
        return lines[:i] + lines[i + 1:]
    if kind == "duplicate":
        return lines[:i + 1] + [line] + lines[i + 1:]
    if kind == "junk":
        at = offset % (len(line) + 1)
        return lines[:i] + [line[:at] + junk + line[at:]] + lines[i + 1:]
    if kind == "junk_line":
        return lines[:i] + [junk + "\n"] + lines[i:]
    if kind == "value" and ": " in line:
        key = line.split(": ", 1)[0]
        return lines[:i] + [f"{key}: {value}\n"] + lines[i + 1:]
    if kind == "truncate":
        return lines[:i] + [line[: offset % (len(line) + 1)]]
    if kind == "indent":
        return lines[:i] + [" " * (offset % 5) + line.lstrip(" ")] + lines[i + 1:]
    return lines


@_settings(130)
@given(st.lists(text_mutation(), min_size=1, max_size=3))
def test_text_mutations_load_or_report(mutations):
    lines = list(LINES)
    for mutation in mutations:
        lines = apply_text(lines, mutation)
    _loads_or_reports("".join(lines))


# ---------------------------------------------------------------- data mutations


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, path + (key,))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _paths(child, path + (i,))


PATHS = [p for p in _paths(DATA) if p]
REPLACEMENTS = [None, "", "约1100", -5, 0, 1e12, 3.5, True, [], {}, [1, "a"], {"vaule": 1}, "x" * 300,
                "{undefined_id}", "<script>alert(1)</script>", 2101, "2026-13-01"]


@st.composite
def data_mutation(draw):
    return draw(st.sampled_from(["delete", "replace", "rename"])), draw(st.sampled_from(PATHS)), \
        draw(st.sampled_from(REPLACEMENTS))


def apply_data(data, mutation):
    kind, path, replacement = mutation
    parent = data
    for part in path[:-1]:
        try:
            parent = parent[part]
        except (KeyError, IndexError, TypeError):
            return data
    last = path[-1]
    try:
        if kind == "delete":
            del parent[last]
        elif kind == "replace":
            parent[last] = replacement
        elif kind == "rename" and isinstance(parent, dict) and last in parent:
            parent[f"{last}x"] = parent.pop(last)
    except (KeyError, IndexError, TypeError):
        pass
    return data


@_settings(70)
@given(st.lists(data_mutation(), min_size=1, max_size=3))
def test_data_mutations_load_or_report(mutations):
    data = yaml.safe_load(TEXT)  # a fresh copy each time
    for mutation in mutations:
        data = apply_data(data, mutation)
    _loads_or_reports(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def test_the_fast_reader_reads_every_report_as_the_pure_python_one():
    """yamlio reads with libyaml's parser and falls back to PyYAML's own for any problem; both
    must give the same data and the same line and column of every value."""
    from tujie import yamlio

    project = DEFAULT.parent.parent
    files = [*project.glob("source/*.yaml"), *project.glob("layouts/*/*.yaml"), *project.glob("tests/data/*.yaml")]
    assert len(files) >= 6
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert yamlio._parse(text, str(path), yamlio._FastLoader) == yamlio._parse(text, str(path), yamlio._Loader), path
