"""Stage 1: read a report file and validate it into a :class:`Report`.

Schema errors from pydantic are translated into Chinese and located in the
file (line, column, field) using the marks recorded by :mod:`tujie.yamlio`.
Errors the schema raises for the report as a whole (a duplicate figure id, a
chart naming an unknown figure) are traced back to the offending line, and a
few sense checks the schema cannot express (a share over 100 %) run after it.
"""

from __future__ import annotations

import difflib
import re
import typing
from pathlib import Path

from pydantic import BaseModel, ValidationError

from .errors import ReportError, ReportErrors
from .model import PATTERN_HINTS, Report, fmt_number
from .yamlio import dotted, items, load_yaml


MAX_ERRORS = 20  # more than this at once only buries the first mistake


def load_report(path: Path) -> Report:
    """Read and validate one report; raise ReportError(s) naming the place to fix."""
    file = str(path)
    data, marks = load_yaml(path, file)
    try:
        report = Report.model_validate(data)
    except ValidationError as exc:
        errors = [_translate(err, file, data, marks) for err in exc.errors(include_url=False)]
        raise _collected(errors) from None
    except RecursionError:  # the reader caps nesting, so this would be a schema bug
        raise ReportError("数据嵌套层数太多，请检查缩进", file=file) from None
    problems = list(_impossible_shares(data, file, marks))
    if problems:
        raise _collected(problems)
    return report


def load_marks(path: Path) -> dict:
    """(line, column) of every value of a report file, keyed by its path; for locating later errors."""
    return load_yaml(path, str(path))[1]


def _collected(errors: list[ReportError]) -> ReportErrors:
    # one message per place: pydantic reports every union member separately
    unique: dict[tuple, ReportError] = {}
    for err in errors:
        unique.setdefault((err.line, err.field, err.message), err)
    found = list(unique.values())
    return ReportErrors(found[:MAX_ERRORS], more=max(0, len(found) - MAX_ERRORS))


_MESSAGES = {
    "missing": "缺少必填字段",
    "string_type": "应为文字",
    "float_type": "应为数字（不要加引号，不要写单位或“约”等文字）",
    "int_type": "应为整数",
    "bool_type": "应为 true 或 false",
    "list_type": "应为列表（每项以“- ”开头）",
    "dict_type": "应为“字段: 值”的形式",
    "model_type": "应为“字段: 值”的形式",
    "date_type": "应为日期，例如 2026-11-29",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
    "greater_than": "数值太小",
    "too_short": "内容不能为空",
    "too_long": "项数或字数太多",
    "string_too_short": "内容不能为空",
    "string_too_long": "文字太长",
    "string_pattern_mismatch": "格式不对",  # with the pattern's own hint (model.PATTERN_HINTS)
    "literal_error": "取值不在允许范围内",
    "union_tag_invalid": "type 的取值不认识",
    "union_tag_not_found": "缺少 type 字段",
    "int_from_float": "应为整数",
}


def _translate(err: dict, file: str, data: dict, marks: dict) -> ReportError:
    loc = tuple(err["loc"])
    # drop discriminator tags such as 'themes' that pydantic inserts into loc
    path = _data_path(loc, marks)
    kind = err["type"]
    if kind == "value_error":  # a model's own rule: loc names the model (maybe by its union tag), not a field
        while path and path not in marks:
            path = path[:-1]
        if str(err.get("ctx", {}).get("error", "")).startswith("文字里的") and path + ("text",) in marks:
            path = path + ("text",)
    if kind == "value_error" and not path:  # a whole-report rule: find the line it is about
        path, first = _locate_report_rule(str(err.get("ctx", {}).get("error", "")), data, marks)
        if first:
            err = {**err, "ctx": {"error": f"{err['ctx']['error']}（第一次出现在第 {first} 行）"}}
    line, column = _nearest_mark(path, marks)
    if kind == "extra_forbidden":
        name = str(path[-1])
        parent_fields = _sibling_fields(err, loc)
        guess = difflib.get_close_matches(name, parent_fields, n=1)
        hint = f"，是不是想写“{guess[0]}”？" if guess else f"（允许的字段：{'、'.join(parent_fields)}）" if parent_fields else ""
        message = f"不认识的字段“{name}”{hint}"
    elif kind == "value_error":
        message = str(err.get("ctx", {}).get("error", err["msg"]))
    elif kind == "literal_error":
        message = f"取值不在允许范围内，可选：{_choices(err.get('ctx', {}).get('expected', ''))}"
    elif kind == "union_tag_invalid":
        message = _unknown_type(err)
    elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        limit = next(iter(err.get("ctx", {}).values()), "")
        relation = {"greater_than_equal": "不能小于", "greater_than": "应大于", "less_than_equal": "不能大于", "less_than": "应小于"}[kind]
        message = f"数值 {_number(err.get('input'))} {relation} {_number(limit)}"
        if kind.startswith("less") and "value" in loc[-1:]:
            message += "（请核对数值和单位，例如“亿元”是否写成了“元”）"
    elif kind == "string_pattern_mismatch":
        hint = PATTERN_HINTS.get(str(err.get("ctx", {}).get("pattern", "")))
        message = f"格式不对：“{_shown(err.get('input'))}”" + (f"（{hint}）" if hint else "")
    else:
        message = _MESSAGES.get(kind, err["msg"])
        if kind in ("float_type", "int_type", "string_type", "bool_type") and "input" in err:
            message += f"，现在是“{_shown(err['input'])}”" + _hint(kind, err["input"])
    return ReportError(message, file=file, line=line, column=column, field=dotted(path) or None)


def _choices(expected: str) -> str:
    """pydantic's "'A4', 'A5' or '16K'" → "A4、A5、16K"."""
    return "、".join(part.strip(" '\"") for part in re.split(r",| or ", str(expected)) if part.strip(" '\""))


def _number(value) -> str:
    return fmt_number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def _shown(value) -> str:
    """A wrong value as quoted back to the user: short, and a list or mapping by its kind."""
    if isinstance(value, dict):
        return "一组“字段: 值”"
    if isinstance(value, list):
        return "列表"
    text = str(value)
    return text if len(text) <= 30 else text[:30] + "…"


_NUMBER_HINTS = [  # (pattern over the text given for a number, what to write instead)
    (re.compile(r"^[-+]?[0-9.]+[eE][-+]?[0-9]+$"), "；不要用科学计数法，请写成普通数字，如 1e3 写成 1000"),
    (re.compile(r"^[-+]?0[0-9]+$"), "；整数不要以 0 开头，如 010 写成 10"),
    (re.compile(r"^[-+]?[0-9]{1,3}([,，][0-9]{3})+(\.[0-9]+)?$"), "；不要写千位分隔符，如 1,100 写成 1100"),
    (re.compile(r"^(约|近|超过?|逾|达|突破|不足|以上)"), "；“约”“超过”等说法写在 qualifier 字段里，value 只写数字"),
    (re.compile(r"^[-+]?[0-9.]+\s*[^0-9.\s]+$"), "；单位写在 unit 字段里，value 只写数字"),
    (re.compile(r"^[-+]?\.(nan|inf|NaN|Inf|NAN|INF)$"), "；这不是一个具体的数"),
]


def _hint(kind: str, value) -> str:
    """A concrete fix for the usual ways a number, a yes/no or a text is mistyped."""
    if kind in ("float_type", "int_type") and isinstance(value, str):
        return next((hint for pattern, hint in _NUMBER_HINTS if pattern.search(value.strip())), "")
    if kind == "bool_type" and str(value).lower() in ("yes", "no", "on", "off", "y", "n", "是", "否"):
        return "；请写 true（是）或 false（否）"
    if kind == "string_type" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return "；如果这就是要显示的文字，请加上引号，如 \"2021\""
    return ""


def _unknown_type(err: dict) -> str:
    given = err.get("input", {}).get("type") if isinstance(err.get("input"), dict) else ""
    expected = [t.strip(" '") for t in str(err.get("ctx", {}).get("expected_tags", "")).split(",")]
    guess = difflib.get_close_matches(str(given), expected, n=1)
    hint = f"，是不是想写“{guess[0]}”？" if guess else ""
    return f"type 的取值“{given}”不认识{hint}（可选：{'、'.join(expected)}）"


# whole-report rules of tujie.model and where in the data each one points
_RULE_TARGETS = [
    (re.compile(r"数字编号 (\S+) 在报告里出现了不止一次"),
     lambda m, path, value: len(path) >= 2 and path[-2] == "figures" and path[-1] == m[1] and isinstance(value, dict)),
    (re.compile(r"章节编号 (\S+) 重复"),
     lambda m, path, value: len(path) == 3 and path[-1] == "id" and value == m[1]),
    (re.compile(r"引用的数字 (\S+) 在报告里没有定义"),
     lambda m, path, value: "blocks" in path and ("figures" in path[-2:] or "stretch" in path[-2:])
     and (value == m[1] or path[-1] == m[1])),
]


def _locate_report_rule(message: str, data: dict, marks: dict) -> tuple[tuple, int | None]:
    """Path a whole-report rule complains about, and the line of its first occurrence for duplicates."""
    for pattern, matches in _RULE_TARGETS:
        found = pattern.search(message)
        if found:
            hits = [path for path, value in items(data, ()) if matches(found, path, value)]
            duplicate = "重复" in message or "不止一次" in message
            if duplicate and len(hits) >= 2:
                return hits[1], marks.get(hits[0], (None,))[0]
            if hits:
                return hits[0], None
    return (), None




# a figure in % whose label names a share or a fall cannot pass 100, even without ``max``
_SHARE_WORDS = re.compile(r"比重|占比|比率|覆盖|参保率|化率|达标率|优良率|合格率|利用率|下降|压减|减少")
_GROWTH_WORDS = re.compile(r"增长|增速|增幅|提高|提升")


def _impossible_shares(data: dict, file: str, marks: dict):
    for path, value in items(data, ()):
        if len(path) >= 2 and path[-2] == "figures" and isinstance(value, dict) and value.get("unit") == "%":
            label = str(value.get("label", ""))
            number = value.get("value")
            if (isinstance(number, (int, float)) and number > 100 and value.get("max") is None
                    and _SHARE_WORDS.search(label) and not _GROWTH_WORDS.search(label)):
                line, column = _nearest_mark(path + ("value",), marks)
                yield ReportError(f"“{label}”是比重或降幅，不可能是 {number}%（超过 100%）；"
                                  f"请核对数值，确实没有上限时可写 max: {number}",
                                  file=file, line=line, column=column, field=dotted(path + ("value",)))


def _data_path(loc: tuple, marks: dict) -> tuple:
    """pydantic's loc may contain union tags; keep only the parts that exist in the data."""
    if loc and loc[-1] == "[key]":  # a mapping's key is wrong: the key names the place
        loc = loc[:-1]
    path: tuple = ()
    for part in loc:
        if (path + (part,)) in marks or part == loc[-1]:
            path = path + (part,)
    return path


def _nearest_mark(path: tuple, marks: dict) -> tuple[int | None, int | None]:
    while path not in marks and path:
        path = path[:-1]
    return marks.get(path, (None, None))


def _sibling_fields(err: dict, loc: tuple) -> list[str]:
    """Names of the fields allowed where an unknown one was found."""
    model = _model_at(Report, [p for p in loc[:-1]])
    return list(model.model_fields) if model else []


def _model_at(model, loc: list):
    """Follow a pydantic loc through the model classes (best effort, for hints)."""
    current = model
    for part in loc:
        if isinstance(part, int):
            continue
        found = _as_model(current, tag=part)
        if found is None:
            return None
        # a field name moves on to its annotation; a union tag or dict key stays
        current = found.model_fields[part].annotation if part in found.model_fields else found
    return _as_model(current)


def _as_model(annotation, tag=None):
    """The model class inside list[...], dict[..., ...], Annotated or a tagged union."""
    models, stack = [], [annotation]
    while stack:
        item = stack.pop()
        if isinstance(item, type) and issubclass(item, BaseModel):
            models.append(item)
        else:
            stack.extend(a for a in typing.get_args(item) if not isinstance(a, (str, int)))
    if len(models) > 1 and tag is not None:
        models = [m for m in models if "type" in m.model_fields and tag in typing.get_args(m.model_fields["type"].annotation)]
    return models[0] if len(models) == 1 else None
