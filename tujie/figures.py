"""Stage 2: draw the report's charts with matplotlib, as SVG with real text.

Every number comes from the report's figures (looked up by id); nothing is
hard-coded. Text stays text (``svg.fonttype: none``) in the bundled font, so
WeasyPrint sets it with the same font files as the page and it can be
searched and copied in the PDF. Output is reproducible: fixed hash salt and
no date in the SVG.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

from importlib.metadata import version

from .model import ChartBlock, Figure, fmt_number
from .theme import Theme

MM = 1 / 25.4  # inches per millimetre


@dataclass(frozen=True)
class ChartSize:
    width_mm: float
    height_mm: float


def _pyplot():
    """matplotlib, imported on first use: a rebuild whose charts are all cached skips it (~1 s)."""
    import matplotlib

    matplotlib.use("svg")  # no GUI backend; we only write SVG
    import matplotlib.pyplot as plt

    return plt


def setup_fonts(font_dir: Path) -> None:
    """Make matplotlib measure text with the bundled fonts (never system ones)."""
    from matplotlib import font_manager

    _pyplot()
    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    from .fonts import bundled

    for path in bundled(font_dir).values():
        if str(path) not in known:
            font_manager.fontManager.addfont(str(path))


def _style(theme: Theme) -> dict:
    return {
        "svg.fonttype": "none",
        "svg.hashsalt": "tujie",
        "font.family": [theme.font_family],
        "font.size": 8.5,
        "text.color": theme.color("ink"),
        "axes.edgecolor": theme.color("rule"),
        "axes.labelcolor": theme.color("muted"),
        "xtick.color": theme.color("muted"),
        "ytick.color": theme.color("muted"),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "figure.facecolor": "none",
        "axes.facecolor": "none",
        "savefig.transparent": True,
    }


@functools.lru_cache(maxsize=1)
def _drawing_code() -> tuple[str, str]:
    """matplotlib's version and this module's hash, once per process: the code that draws is the
    code loaded (and looking the version up costs ~8 ms a chart)."""
    return version("matplotlib"), hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def chart_cache_key(block: ChartBlock, figures: dict[str, Figure], theme: Theme, size: ChartSize) -> str:
    """Everything a chart's SVG depends on, hashed: its data, style, size and this code."""
    used = sorted(set(block.refs()))
    payload = {
        "block": block.model_dump(mode="json"),
        "figures": {fid: figures[fid].model_dump(mode="json") for fid in used},
        "theme": theme.model_dump(mode="json"),
        "size": [size.width_mm, size.height_mm],
        "matplotlib": _drawing_code()[0],
        "code": _drawing_code()[1],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:32]


def render_chart(block: ChartBlock, figures: dict[str, Figure], theme: Theme, size: ChartSize) -> str:
    """Draw one chart block and return it as an SVG document (text)."""
    values = [figures[fid] for fid in block.figures]
    labels = list(block.labels) if block.labels else [f.label for f in values]
    draw = _DRAWERS[block.chart]
    plt = _pyplot()
    with plt.rc_context(_style(theme)):
        fig = plt.figure(figsize=(size.width_mm * MM, size.height_mm * MM))
        try:
            draw(fig, block, values, labels, figures, theme)
            out = io.StringIO()
            fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
        finally:
            plt.close(fig)
    return out.getvalue()


def _value_text(fig_: Figure, with_unit: bool = True) -> str:
    return fig_.display + (fig_.unit if with_unit and fig_.unit != "%" else "") + ("%" if fig_.unit == "%" else "")


def _bare_axes(ax) -> None:
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)


def _draw_bars(fig, block, values, labels, figures, theme) -> None:
    """Horizontal bars, largest first, value written at the bar's end."""
    ax = fig.add_axes((0.30, 0.04, 0.62, 0.92))
    n = len(values)
    ys = list(range(n))[::-1]
    top = max(v.value for v in values) * 1.22
    ax.barh(ys, [top] * n, height=0.56, color=theme.color("grid"))
    ax.barh(ys, [v.value for v in values], height=0.56, color=theme.color("river"))
    for y, fig_ in zip(ys, values):
        ax.text(fig_.value + top * 0.015, y, _value_text(fig_), va="center", ha="left",
                fontsize=11, fontweight="bold", color=theme.color("accent"))
    ax.set_yticks(ys, labels, fontsize=8.5)
    ax.set_xlim(0, top)
    ax.set_xticks([])
    _bare_axes(ax)


def _draw_path(fig, block, values, labels, figures, theme) -> None:
    """Columns along a timeline (actual → target → vision), joined by a line."""
    ax = fig.add_axes((0.03, 0.16, 0.94, 0.72))
    xs = list(range(len(values)))
    heights = [v.value for v in values]
    colours = [theme.color("river")] * (len(values) - 1) + [theme.color("brand")]
    ax.bar(xs, heights, width=0.52, color=colours)
    top = max(heights)
    for x, fig_ in zip(xs, values):
        ax.text(x, fig_.value + top * 0.04, _value_text(fig_, with_unit=False), ha="center", va="bottom",
                fontsize=14, fontweight="bold", color=theme.color("accent"))
        if fig_.qualifier:
            ax.text(x, fig_.value + top * 0.19, fig_.qualifier, ha="center", va="bottom",
                    fontsize=8, color=theme.color("muted"))
    ax.set_ylim(0, top * 1.34)
    ax.set_xticks(xs, labels, fontsize=9)
    ax.set_yticks([])
    _bare_axes(ax)
    ax.axhline(0, color=theme.color("rule"), linewidth=0.8)


def _draw_pairs(fig, block, values, labels, figures, theme) -> None:
    """Small multiples: each pair of figures (same measure, two dates) in its own panel."""
    pairs = [values[i : i + 2] for i in range(0, len(values), 2)]
    pair_labels = [labels[i : i + 2] for i in range(0, len(labels), 2)]
    width = 1 / len(pairs)
    for k, (pair, names) in enumerate(zip(pairs, pair_labels)):
        ax = fig.add_axes((k * width + 0.06 * width, 0.14, 0.88 * width, 0.62))
        heights = [v.value for v in pair]
        ax.bar([0, 1], heights, width=0.56, color=[theme.series[k % 5].rgb + "99", theme.series[k % 5].rgb])
        top = max(heights)
        for x, fig_ in enumerate(pair):
            ax.text(x, fig_.value + top * 0.04, fig_.display, ha="center", va="bottom",
                    fontsize=13, fontweight="bold", color=theme.color("accent"))
        ax.set_ylim(0, top * 1.3)
        ax.set_xticks([0, 1], names, fontsize=8.5)
        ax.set_yticks([])
        _bare_axes(ax)
        ax.axhline(0, color=theme.color("rule"), linewidth=0.8)
        unit = f"（{pair[0].unit}）" if pair[0].unit else ""
        ax.set_title(pair[0].label + unit, fontsize=9.5, fontweight="bold", color=theme.color("ink"), pad=10)


def _draw_progress(fig, block, values, labels, figures, theme) -> None:
    """Shares of a whole (max 100 %) as filled tracks, value at the right."""
    n = len(values)
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.96))
    ax.set_xlim(0, 1.0)
    ax.set_ylim(-0.5, n - 0.3)
    for i, (fig_, name) in enumerate(zip(values, labels)):
        y = n - 1 - i
        full = fig_.max or 100
        share = min(fig_.value / full, 1.0)
        ax.barh(y - 0.12, 0.84, left=0, height=0.2, color=theme.color("grid"))
        ax.barh(y - 0.12, 0.84 * share, left=0, height=0.2, color=theme.series[(i + 4) % 5].rgb)
        ax.text(0, y + 0.12, name, fontsize=8.5, va="bottom", ha="left", color=theme.color("ink"))
        qualifier = f" {fig_.qualifier}" if fig_.qualifier in ("以上", "以下", "以内") else ""
        ax.text(1.0, y - 0.12, _value_text(fig_) + qualifier, fontsize=11, fontweight="bold",
                va="center", ha="right", color=theme.color("accent"))
    ax.set_axis_off()


def _draw_targets(fig, block, values, labels, figures, theme) -> None:
    """Growth targets as bars, the stretch target (力争) marked on its bar."""
    ax = fig.add_axes((0.30, 0.03, 0.60, 0.94))
    n = len(values)
    ys = list(range(n))[::-1]
    stretch = {fid: figures[sid] for fid, sid in block.stretch.items()}
    top = max([v.value for v in values] + [s.value for s in stretch.values()]) * 1.25
    ax.barh(ys, [v.value for v in values], height=0.55, color=theme.color("brand"))
    for y, fid, fig_ in zip(ys, block.figures, values):
        end = fig_.value
        if fid in stretch:
            s = stretch[fid]
            ax.barh(y, s.value - fig_.value, left=fig_.value, height=0.55, color="none",
                    edgecolor=theme.color("accent"), hatch="////", linewidth=0.8)
            end = s.value
            ax.text(end + top * 0.015, y, f"{_value_text(fig_)}，{s.qualifier or ''}{_value_text(s)}", va="center",
                    ha="left", fontsize=11, fontweight="bold", color=theme.color("accent"))
        else:
            ax.text(end + top * 0.015, y, _value_text(fig_), va="center", ha="left", fontsize=11,
                    fontweight="bold", color=theme.color("accent"))
    ax.set_yticks(ys, labels, fontsize=8.5)
    ax.set_xlim(0, top)
    ax.set_xticks([])
    _bare_axes(ax)


def _series_values(block, figures) -> list[tuple[str, list[Figure]]]:
    return [(s.name, [figures[fid] for fid in s.figures]) for s in block.series]


def _draw_line(fig, block, values, labels, figures, theme) -> None:
    """Series over years, each labelled at its last point (no legend to hunt for)."""
    series = _series_values(block, figures)
    ax = fig.add_axes((0.05, 0.13, 0.72 if len(series) > 1 else 0.9, 0.78))
    xs = list(range(len(labels)))
    top = max(f.value for _, figs in series for f in figs) or 1
    for k, (name, figs) in enumerate(series):
        colour = theme.series[k % len(theme.series)].rgb
        ys = [f.value for f in figs]
        ax.plot(xs, ys, color=colour, linewidth=2.2, marker="o", markersize=4.5)
        for x, f in zip(xs, figs):
            ax.text(x, f.value + top * 0.05, f.display, ha="center", va="bottom", fontsize=8.5,
                    fontweight="bold", color=colour)
        if len(series) > 1:
            ax.text(xs[-1] + 0.25, ys[-1], name, va="center", ha="left", fontsize=8.5, color=colour,
                    fontweight="bold", clip_on=False)
    ax.set_xticks(xs, labels, fontsize=8.5)
    ax.set_yticks([])
    ax.set_ylim(0, top * 1.25)
    ax.set_xlim(-0.4, len(xs) - 0.6)
    _bare_axes(ax)
    ax.axhline(0, color=theme.color("rule"), linewidth=0.8)


def _draw_donut(fig, block, values, labels, figures, theme) -> None:
    """Shares of a whole as a ring; each share labelled beside the ring with its value."""
    ax = fig.add_axes((0.0, 0.02, 0.5, 0.96))
    shares = [v.value for v in values]
    total = sum(shares)
    colours = [theme.series[k % len(theme.series)].rgb for k in range(len(values))]
    rest = max(0.0, 100 - total) if all(v.unit == "%" for v in values) else 0.0
    wedges = shares + ([rest] if rest > 0.05 else [])
    ax.pie(wedges, colors=colours + ([theme.color("grid")] if rest > 0.05 else []), startangle=90,
           counterclock=False, wedgeprops={"width": 0.36, "edgecolor": "white", "linewidth": 1.2})
    ax.set_aspect("equal")
    legend = fig.add_axes((0.52, 0.04, 0.46, 0.92))
    legend.set_axis_off()
    n = len(values)
    legend.set_ylim(-0.5, max(n, 4) - 0.5)
    legend.set_xlim(0, 1)
    for i, (fig_, name, colour) in enumerate(zip(values, labels, colours)):
        y = max(n, 4) - 1 - i - (max(n, 4) - n) / 2
        legend.add_patch(_square(0.0, y - 0.16, 0.06, 0.32, colour))
        legend.text(0.1, y, name, va="center", ha="left", fontsize=8.5, color=theme.color("ink"))
        legend.text(1.0, y, _value_text(fig_), va="center", ha="right", fontsize=10.5, fontweight="bold",
                    color=theme.color("accent"))


def _square(x, y, w, h, colour):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, color=colour, linewidth=0)


def _draw_stacked(fig, block, values, labels, figures, theme) -> None:
    """Horizontal stacked bars: one bar per label, one segment per series, totals at the end."""
    series = _series_values(block, figures)
    ax = fig.add_axes((0.22, 0.16 if len(series) > 1 else 0.04, 0.64, 0.8 if len(series) > 1 else 0.92))
    n = len(labels)
    ys = list(range(n))[::-1]
    lefts = [0.0] * n
    totals = [sum(figs[i].value for _, figs in series) for i in range(n)]
    top = max(totals) or 1
    for k, (name, figs) in enumerate(series):
        colour = theme.series[k % len(theme.series)].rgb
        widths = [f.value for f in figs]
        ax.barh(ys, widths, left=lefts, height=0.58, color=colour, label=name, edgecolor="white", linewidth=0.6)
        for y, left, f in zip(ys, lefts, figs):
            if f.value / top > 0.09:
                ax.text(left + f.value / 2, y, f.display, ha="center", va="center", fontsize=8, color="white",
                        fontweight="bold")
        lefts = [a + b for a, b in zip(lefts, widths)]
    unit = series[0][1][0].unit
    for y, total in zip(ys, totals):
        ax.text(total + top * 0.015, y, fmt_number(round(total, 2)) + unit, va="center", ha="left", fontsize=10,
                fontweight="bold", color=theme.color("accent"))
    ax.set_yticks(ys, labels, fontsize=8.5)
    ax.set_xlim(0, top * 1.18)
    ax.set_xticks([])
    _bare_axes(ax)
    if len(series) > 1:
        ax.legend(loc="upper left", bbox_to_anchor=(0, -0.02), ncol=min(len(series), 4), frameon=False,
                  fontsize=8.5, handlelength=1, handleheight=1, borderaxespad=0)


_DRAWERS = {
    "bars": _draw_bars,
    "path": _draw_path,
    "pairs": _draw_pairs,
    "progress": _draw_progress,
    "targets": _draw_targets,
    "line": _draw_line,
    "donut": _draw_donut,
    "stacked": _draw_stacked,
}
