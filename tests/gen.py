"""Plausible random reports, for testing that the layout holds for any data.

``report(seed)`` returns report data (a dict, as YAML would load it): 1–12
sections of every block type, lists of 1–20 entries, labels of 2–30
characters, values from 0.01 to 99999, every page size. The same seed always
gives the same report. Used by tests/test_design.py (a few dozen cases) and
bench/stress.py (hundreds).
"""

from __future__ import annotations

import datetime
import random

from tujie.model import BLOCK_TYPES, PAGE_SIZES_MM

# characters of the default report's text: all in the bundled fonts
HAN = ("钱塘新区成立以来工作回顾区域地位产业基础城市建设社会民生改革开放全省大湾区重要增长极落地支持新区高质量发展"
       "专项政策被确定为全省重点打造平台临江国家高新技术开发区杭州综合保税区事业单位设置集聚生物医药半导体汽车"
       "制造智能装备新材料五大主导产业地方财政收入规模以上工业增加值研发经费支出比重居民人均可支配收入养老服务")
UNITS = ["亿元", "万元", "%", "家", "个", "万人", "公里", "平方公里", "人", "项", ""]
ICONS = ["landmark", "factory", "building-2", "heart-handshake", "trees", "wallet", "users", "target", "sprout"]
SIZES = list(PAGE_SIZES_MM)
CHARTS = ["bars", "path", "pairs", "progress", "targets", "line", "donut", "stacked"]


class _Maker:
    def __init__(self, seed: int, small: bool):
        self.rng = random.Random(seed)
        self.small = small
        self.count = 0

    def words(self, low: int = 2, high: int = 30) -> str:
        n = self.rng.randint(low, high)
        start = self.rng.randrange(len(HAN) - n)
        return HAN[start:start + n]

    def fid(self) -> str:
        self.count += 1
        return f"f{self.count}"

    def figure(self, share: bool = False) -> dict:
        unit = "%" if share else self.rng.choice(UNITS)
        value = round(self.rng.uniform(0.5, 99) if unit == "%" else 10 ** self.rng.uniform(-2, 4.99999), 2)
        fig = {"value": value, "unit": unit, "label": self.words(2, 14)}
        if unit == "%":
            fig["max"] = 100
        if self.rng.random() < 0.3:
            fig["qualifier"] = self.rng.choice(["突破", "达到", "以上", "以内"])
        if self.rng.random() < 0.3:
            fig["year"] = self.rng.randint(2015, 2035)
        return fig

    def n(self, high: int) -> int:
        return self.rng.randint(1, min(high, 6 if self.small else 20))

    def text(self, figures: int | None = None) -> dict:
        figs = {self.fid(): self.figure() for _ in range(self.rng.randint(0, 3) if figures is None else figures)}
        pieces = [self.words(2, 20) + "{" + fid + "}" for fid in figs] + [self.words(4, 30) + "。"]
        return {"text": "，".join(pieces), "figures": figs}

    def block(self, kind: str, defined: list[str]) -> dict:
        r = self.rng
        if kind == "themes":
            return {"type": kind, "themes": [{"title": self.words(4, 14), "icon": r.choice(ICONS),
                                              "items": [self.text() for _ in range(self.n(8))]} for _ in range(self.n(3))]}
        if kind == "panels":
            return {"type": kind, "panels": [{**self.text(r.randint(0, 2)), "title": self.words(4, 16),
                                              "name": self.words(2, 2)} for _ in range(self.n(6))]}
        if kind in ("lead", "quote"):
            block = {"type": kind, **self.text()}
            if kind == "quote" and r.random() < 0.5:
                block["source"] = self.words(4, 12)
            return block
        if kind == "indicators":
            return {"type": kind, "title": self.words(4, 14), "groups": [
                {**self.text(r.randint(1, 5)), "name": self.words(2, 4), "intent": self.words(8, 30)}
                for _ in range(self.n(5))]}
        if kind == "principles":
            return {"type": kind, "principles": [{"keyword": self.words(4, 4), "text": self.words(4, 12)}
                                                 for _ in range(self.n(10))]}
        if kind == "targets":
            targets = []
            for _ in range(self.n(8)):
                main, stretch = self.fid(), self.fid()
                t = {"text": f"{self.words(4, 14)}{{{main}}}，力争{{{stretch}}}。",
                     "figures": {main: self.figure(True), stretch: {**self.figure(True), "qualifier": "力争"}},
                     "bar": main, "stretch": stretch}
                targets.append(t)
            return {"type": kind, "targets": targets}
        if kind == "areas":
            return {"type": kind, "areas": [{"title": self.words(4, 18), "icon": r.choice(ICONS),
                                             "actions": [self.words(4, 24) for _ in range(self.n(5))]}
                                            for _ in range(self.n(9))]}
        if kind == "kpis":
            figures = {}
            for _ in range(self.n(12)):
                fig = {**self.figure(), "icon": r.choice(ICONS)}
                if r.random() < 0.5:
                    fig["change"] = {"label": "同比", "value": round(r.uniform(-30, 30), 1)}
                figures[self.fid()] = fig
            return {"type": kind, "title": self.words(4, 14), "figures": figures}
        if kind == "timeline":
            return {"type": kind, "milestones": [{**self.text(r.randint(0, 2)), "when": f"{2020 + i}年",
                                                  "title": self.words(4, 12)} for i in range(self.n(10))]}
        if kind == "table":
            rows = [{"name": self.words(2, 16), "target": round(r.uniform(1, 9999), 1),
                     "actual": round(r.uniform(1, 9999), 1)} for _ in range(self.n(20))]
            return {"type": kind, "title": self.words(4, 16), "rows": rows, "columns": [
                {"key": "name", "title": "项目"}, {"key": "target", "title": "目标", "unit": "万元"},
                {"key": "actual", "title": "完成", "unit": "万元"},
                {"key": "rate", "title": "完成率", "unit": "%", "compute": "actual / target"}]}
        if kind == "comparison":
            return {"type": kind, "items": [{"title": self.words(4, 16), "figures": {
                self.fid(): {**self.figure(), "year": 2020}, self.fid(): {**self.figure(), "year": 2025}}}
                for _ in range(self.n(6))]}
        if kind == "ranking":
            return {"type": kind, "title": self.words(4, 16), "top": r.choice([None, 5, 10]),
                    "figures": {self.fid(): {**self.figure(), "unit": "%", "max": 100, "value": round(r.uniform(1, 99), 1)}
                                for _ in range(max(2, self.n(20)))}}
        if kind == "image":
            return {"type": kind, "src": "map.svg", "caption": self.words(4, 20), "alt": self.words(8, 30),
                    "width": r.choice(["full", "half"])}
        if kind == "chart":
            return self.chart(r.choice(CHARTS), defined)
        raise ValueError(kind)

    def chart(self, chart: str, defined: list[str]) -> dict:
        r = self.rng
        # a chart draws figures defined in a kpis block just before it
        if chart in ("line", "stacked"):
            labels = [f"{2019 + i}" for i in range(r.randint(2, 6))]
            series = [{"name": self.words(2, 6), "figures": defined[k * len(labels):(k + 1) * len(labels)]}
                      for k in range(min(3, len(defined) // len(labels)))]
            if not series:
                return None
            return {"type": "chart", "chart": chart, "title": self.words(4, 16), "labels": labels, "series": series,
                    "alt": self.words(8, 30)}
        ids = defined[: r.randint(2, min(8, len(defined)))] if len(defined) >= 2 else None
        if not ids:
            return None
        if chart == "pairs" and len(ids) % 2:
            ids = ids[:-1]
        block = {"type": "chart", "chart": chart, "title": self.words(4, 16), "figures": ids, "alt": self.words(8, 30)}
        if chart == "donut":
            block["chart"] = "progress"  # shares drawn from unrelated figures need not sum to 100 %
        return block


def report(seed: int, small: bool = False) -> dict:
    """A random valid report; ``small`` keeps it to a few sections and short lists (for make test)."""
    maker = _Maker(seed, small)
    r = maker.rng
    kinds = [k for k in BLOCK_TYPES if k != "chart"]
    sections = []
    for s in range(r.randint(1, 3 if small else 12)):
        blocks = []
        for _ in range(r.randint(1, 3)):
            kind = r.choice(kinds + ["chart"])
            if kind == "chart":
                kpis = maker.block("kpis", [])
                kpis["figures"] = {fid: {k: v for k, v in f.items() if k not in ("change", "icon")}
                                   for fid, f in list(kpis["figures"].items())}
                for f in kpis["figures"].values():
                    f["unit"] = "%"
                    f["max"] = 100
                    f["value"] = round(r.uniform(1, 99), 1)
                blocks.append(kpis)
                chart = maker.chart(r.choice(CHARTS), list(kpis["figures"]))
                if chart:
                    blocks.append(chart)
            else:
                blocks.append(maker.block(kind, []))
        sections.append({"id": f"s{s}", "title": maker.words(4, 16), "kicker": maker.words(6, 24), "blocks": blocks})
    return {
        "report": {"title": "政府工作报告", "district": maker.words(2, 6), "year": 2025, "issuer": maker.words(4, 12),
                   "sample": True, "revision": {"label": f"g{seed}", "date": datetime.date(2026, 12, 2)}},
        "page": {"size": r.choice(SIZES), "bleed_mm": 3},
        "sections": sections,
    }


MAP_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 160"><rect width="300" height="160" '
           'fill="#dbe6f5"/><circle cx="150" cy="80" r="40" fill="#0e9a9a"/></svg>')


def build_case(seed: int, folder, small: bool = False) -> dict:
    """Write and build one random report (screen edition) in ``folder``.

    Returns {"seed", "size", "pages", "ok", "error", "fills"}: ``error`` is the Chinese
    message of a failed build (an overflow, say), ``fills`` the content pages' fills.
    """
    from pathlib import Path

    import yaml

    from tujie.build import Paths, build_report
    from tujie.errors import ReportError

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = report(seed, small)
    (folder / "map.svg").write_text(MAP_SVG, encoding="utf-8")
    source = folder / f"case-{seed}.yaml"
    source.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    outcome = {"seed": seed, "size": data["page"]["size"], "sections": len(data["sections"]), "pages": 0,
               "ok": False, "error": "", "fills": []}
    try:
        result = build_report(source, Paths(output=folder / "out"), editions=("screen",))
    except ReportError as exc:
        outcome["error"] = str(exc)
        return outcome
    body = sorted(result.design.fills)
    outcome.update(ok=True, pages=result.pages, fills=[result.design.fills[p] for p in body[:-1]],
                   findings=result.design.findings)
    return outcome
