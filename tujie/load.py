"""Stage 1: read a report file and validate it into a :class:`Report`.

Schema errors from pydantic are translated into Chinese and located in the
file (line, column, field) using the marks recorded by :mod:`tujie.yamlio`.
"""

from __future__ import annotations

import difflib
import typing
from pathlib import Path

from pydantic import BaseModel, ValidationError

from .errors import ReportError, ReportErrors
from .model import Report
from .yamlio import dotted, load_yaml


def load_report(path: Path) -> Report:
    """Read and validate one report; raise ReportError(s) naming the place to fix."""
    file = str(path)
    data, marks = load_yaml(path, file)
    try:
        return Report.model_validate(data)
    except ValidationError as exc:
        errors = [_translate(err, file, marks) for err in exc.errors(include_url=False)]
        # one message per place: pydantic reports every union member separately
        unique: dict[tuple, ReportError] = {}
        for err in errors:
            unique.setdefault((err.line, err.field, err.message), err)
        raise ReportErrors(list(unique.values())[:20]) from None


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
    "string_pattern_mismatch": "格式不对（编号只能用小写英文字母、数字和下划线，并以字母开头）",
    "literal_error": "取值不在允许范围内",
    "union_tag_invalid": "type 的取值不认识",
    "union_tag_not_found": "缺少 type 字段",
    "int_from_float": "应为整数",
}


def _translate(err: dict, file: str, marks: dict) -> ReportError:
    loc = tuple(err["loc"])
    # drop discriminator tags such as 'themes' that pydantic inserts into loc
    path = _data_path(loc, marks)
    line, column = _nearest_mark(path, marks)
    kind = err["type"]
    if kind == "extra_forbidden":
        name = str(path[-1])
        parent_fields = _sibling_fields(err, loc)
        guess = difflib.get_close_matches(name, parent_fields, n=1)
        hint = f"，是不是想写“{guess[0]}”？" if guess else f"（允许的字段：{'、'.join(parent_fields)}）" if parent_fields else ""
        message = f"不认识的字段“{name}”{hint}"
    elif kind == "value_error":
        message = str(err.get("ctx", {}).get("error", err["msg"]))
    elif kind == "literal_error":
        message = f"取值不在允许范围内，可选：{err.get('ctx', {}).get('expected', '')}"
    elif kind == "union_tag_invalid":
        message = f"type 的取值“{err.get('input', {}).get('type') if isinstance(err.get('input'), dict) else ''}”不认识，可选：{err.get('ctx', {}).get('expected_tags', '')}"
    elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        limit = next(iter(err.get("ctx", {}).values()), "")
        relation = {"greater_than_equal": "不能小于", "greater_than": "应大于", "less_than_equal": "不能大于", "less_than": "应小于"}[kind]
        message = f"数值 {err.get('input')} {relation} {limit}"
    else:
        message = _MESSAGES.get(kind, err["msg"])
        if kind in ("float_type", "int_type", "string_type") and "input" in err:
            message += f"，现在是“{err['input']}”"
    return ReportError(message, file=file, line=line, column=column, field=dotted(path) or None)


def _data_path(loc: tuple, marks: dict) -> tuple:
    """pydantic's loc may contain union tags; keep only the parts that exist in the data."""
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
