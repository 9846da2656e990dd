"""Service-record rows: recognising columns and validating one row. Pure Python, no database.

Every way a record comes in (file import, the batch API, manual entry, a dispute's correction) turns its
input into ``{field: raw value}`` and calls :func:`clean_row`, which returns the normalised values or a
list of ``(column, rule)`` errors. The storage path (``delivery.ingest``) does the rest.

Normalised values: timestamps are aware datetimes (a value without an offset is read in the
installation's time zone), ``csat`` an int on the contract's CSAT scale (1–5, 0–10 or 0–100), ``defect`` a bool, ``pauses`` a list of
``[start, end]`` ISO strings (UTC), ``custom`` a dict of int/float/bool/str.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from waibao.core.numbers import finite_float

TIMESTAMPS: Final = ("opened_at", "first_response_at", "resolved_at", "promised_at", "delivered_at")
TEXTS: Final = {"external_id": 100, "kind": 30, "priority": 20, "category": 100, "status": 30}
FIELDS: Final = (
    "external_id",
    "kind",
    *TIMESTAMPS,
    "priority",
    "category",
    "status",
    "csat",
    "defect",
    "paused",
)
#: Columns stored on the record (``paused`` becomes ``pauses``).
RECORD_FIELDS: Final = (
    "external_id",
    "kind",
    *TIMESTAMPS,
    "priority",
    "category",
    "status",
    "csat",
    "defect",
    "pauses",
    "custom",
)
CUSTOM_PREFIXES: Final = ("custom.", "custom:", "自定义.", "自定义:", "自定义：")

#: What people call each field (shown instead of the field's name everywhere a user reads it).
FIELD_LABELS: Final[Mapping[str, Any]] = {
    "external_id": gettext_lazy("记录编号"),
    "kind": gettext_lazy("记录类型"),
    "opened_at": gettext_lazy("开始时间"),
    "first_response_at": gettext_lazy("首次响应时间"),
    "resolved_at": gettext_lazy("解决时间"),
    "promised_at": gettext_lazy("承诺时间"),
    "delivered_at": gettext_lazy("送达时间"),
    "priority": gettext_lazy("优先级"),
    "category": gettext_lazy("类别"),
    "status": gettext_lazy("状态"),
    "csat": gettext_lazy("满意度"),
    "defect": gettext_lazy("缺陷"),
    "paused": gettext_lazy("暂停区间"),
}

#: A mapping key ``"=<field>"`` gives that field one value for the whole file instead of a column.
CONSTANT: Final = "="
#: The fields that may take a constant value.
CONSTANT_FIELDS: Final = ("kind", "priority", "category", "status")


def field_label(target: str) -> str:
    """The reader's name of a mapping target (a field or ``custom.<name>``)."""
    if target.startswith("custom."):
        return _("自定义字段“%(n)s”") % {"n": target[7:]}
    label = FIELD_LABELS.get("paused" if target == "pauses" else target)
    return str(label) if label is not None else target


def join_words(words: list[str]) -> str:
    """Words in a running list, with the reader's separator (、 in Chinese, a comma in English)."""
    return _("、").join(words)


def split_mapping(mapping: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """A stored mapping → (header → target, field → constant value)."""
    columns: dict[str, str] = {}
    constants: dict[str, str] = {}
    for key, value in mapping.items():
        if key.startswith(CONSTANT) and key[1:] in FIELDS:
            constants[key[1:]] = value
        else:
            columns[key] = value
    return columns, constants


def join_mapping(columns: Mapping[str, str], constants: Mapping[str, str]) -> dict[str, str]:
    """The stored form of (header → target, field → constant value); blank constants are left out."""
    out = dict(columns)
    out.update({CONSTANT + f: str(v).strip() for f, v in constants.items() if str(v).strip()})
    return out


#: Header names recognised without a mapping (compared case-insensitively, spaces and _ ignored).
SYNONYMS: Final[Mapping[str, tuple[str, ...]]] = {
    "external_id": (
        "external_id",
        "id",
        "编号",
        "记录编号",
        "工单号",
        "单号",
        "外部编号",
        "ticket id",
        "case id",
    ),
    "kind": ("kind", "type", "类型", "记录类型"),
    "opened_at": (
        "opened_at",
        "opened",
        "created",
        "created_at",
        "开始时间",
        "创建时间",
        "受理时间",
        "下单时间",
        "开单时间",
    ),
    "first_response_at": ("first_response_at", "responded_at", "first response", "首次响应时间", "响应时间"),
    "resolved_at": ("resolved_at", "resolved", "closed_at", "解决时间", "关闭时间", "完成时间"),
    "promised_at": ("promised_at", "due_at", "promised", "承诺时间", "承诺送达时间", "约定时间"),
    "delivered_at": ("delivered_at", "delivered", "送达时间", "交付时间", "实际送达时间"),
    "priority": ("priority", "优先级"),
    "category": ("category", "类别", "分类", "服务类别"),
    "status": ("status", "状态"),
    "csat": ("csat", "satisfaction", "满意度", "客户满意度"),
    "defect": ("defect", "缺陷", "是否缺陷", "有缺陷"),
    "paused": ("paused", "pauses", "暂停", "暂停区间", "挂起区间", "等待客户"),
}
_TRUE: Final = frozenset({"1", "true", "t", "yes", "y", "是", "有", "√"})
_FALSE: Final = frozenset({"0", "false", "f", "no", "n", "否", "无", "×"})


def _norm(header: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(header).strip().lower())


_LOOKUP: Final = {_norm(name): field for field, names in SYNONYMS.items() for name in names}


def recognise(headers: list[str], saved: Mapping[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """Map each header to a target (a standard field, ``custom.<name>``, or ``""`` = ignore).

    A saved mapping (header → target) wins; then the standard names; ``custom.x`` headers map to
    themselves. Returns (mapping, headers nobody recognised).
    """
    mapping: dict[str, str] = {}
    unknown: list[str] = []
    for header in headers:
        if not header:
            continue
        if header.startswith(CONSTANT) and header[1:] in FIELDS:
            unknown.append(header)  # a real column named like a stored constant: the user maps it
        elif saved and header in saved:
            mapping[header] = saved[header]
        elif (field := _LOOKUP.get(_norm(header))) is not None:
            mapping[header] = field
        elif header.lower().startswith(CUSTOM_PREFIXES):
            name = header.split(".", 1)[-1] if "." in header else re.split("[:：]", header, maxsplit=1)[-1]
            mapping[header] = "custom." + name.strip()
        else:
            unknown.append(header)
    # Constants remembered for the contract apply while this file has no column for their field.
    _columns, constants = split_mapping(saved or {})
    given = set(mapping.values())
    mapping.update({CONSTANT + f: v for f, v in constants.items() if f not in given})
    return mapping, unknown


def mapping_errors(
    mapping: Mapping[str, str],
    *,
    kinds: Mapping[str, Any] | None = None,
    kind_needed: bool = False,
) -> dict[str, str]:
    """A mapping must give external_id and a start (opened_at or promised_at), each field once, from a
    column or (the fields of ``CONSTANT_FIELDS``) as one value for the whole file.

    ``kinds`` (value → label) are the allowed record kinds a constant kind must be one of;
    ``kind_needed``: the contract has no default kind, so the file must give one (a column or a value).
    Keys are the file's headers or the fields concerned; messages name fields as people call them.
    """
    errors: dict[str, str] = {}
    columns, constants = split_mapping(mapping)
    targets = [t for t in columns.values() if t]
    for header, target in columns.items():
        if target and target not in FIELDS and not (target.startswith("custom.") and len(target) > 7):
            errors[header] = _("未知字段。")
    seen: set[str] = set()
    for header, target in columns.items():
        if target and target in seen:
            errors[header] = _("字段“%(f)s”被映射了两次。") % {"f": field_label(target)}
        seen.add(target)
    for name, value in constants.items():
        if name not in CONSTANT_FIELDS:
            errors[name] = _("“%(f)s”不能填写固定值。") % {"f": field_label(name)}
        elif name in seen:
            errors[name] = _("“%(f)s”已对应文件中的一列，不能再填写固定值。") % {"f": field_label(name)}
        elif len(value) > TEXTS[name]:
            errors[name] = _("超过 %(n)s 个字符。") % {"n": TEXTS[name]}
        elif name == "kind" and kinds is not None and value not in kinds:
            errors[name] = _("记录类型“%(v)s”不在允许的类型中（%(c)s）。") % {
                "v": value,
                "c": join_words([str(label) for label in kinds.values()]),
            }
    if "external_id" not in targets:
        errors["external_id"] = _("必须有一列对应“记录编号”。")
    if "opened_at" not in targets and "promised_at" not in targets:
        errors["opened_at"] = _("必须有一列对应“开始时间”或“承诺时间”。")
    if kind_needed and "kind" not in targets and not constants.get("kind") and "kind" not in errors:
        errors["kind"] = _(
            "文件中没有记录类型，合同的指标也没有可用的默认类型：请选择对应的一列，或为整个文件指定记录类型。"
        )
    return errors


def apply_mapping(raw: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """``{field: value}`` from ``{header: value}``; constants (``"=<field>"`` keys) fill their field."""
    out: dict[str, Any] = {}
    for header, value in raw.items():
        target = mapping.get(header)
        if target:
            out[target] = value
    for key, value in mapping.items():
        if key.startswith(CONSTANT) and key[1:] in FIELDS and key not in raw:
            out[key[1:]] = value
    return out


class RowContext:
    """What validation needs to know about the contract: allowed kinds, custom fields, time zone.

    ``kind_labels`` (value → lazy label) name the kinds in messages and let a file spell a kind as people
    call it in either language (``工单``, ``Ticket``); the stored value is always the kind's code."""

    def __init__(
        self,
        kinds: frozenset[str],
        custom_fields: Mapping[str, str] | None = None,
        tz: str = "Asia/Shanghai",
        default_kind: str = "",
        kind_labels: Mapping[str, Any] | None = None,
        csat_scale: str = "percent",
    ) -> None:
        from waibao.contracts.models import CSAT_RANGES, CsatScale

        self.kinds = kinds
        self.default_kind = default_kind if default_kind in kinds else ""
        self.kind_labels = {k: v for k, v in (kind_labels or {}).items() if k in kinds}
        self.kind_aliases = kind_aliases(kinds, self.kind_labels)
        self.custom_fields = dict(custom_fields or {})
        self.tz: tzinfo = ZoneInfo(tz)
        # The contract's one CSAT scale: a record's rating is a whole number on it.
        self.csat_scale = csat_scale if csat_scale in CSAT_RANGES else CsatScale.PERCENT
        self.csat_range: tuple[int, int] = CSAT_RANGES[self.csat_scale]
        self.csat_label = CsatScale(self.csat_scale).label
        low, high = self.csat_range
        #: The plain spellings of every allowed rating ("1" … "5"), taken without parsing by both paths.
        self.csat_texts: dict[str, int] = {str(n): n for n in range(low, high + 1)}


def kind_aliases(kinds: frozenset[str] | set[str], labels: Mapping[str, Any]) -> dict[str, str]:
    """Lower-cased spellings of each kind (its code, its label in Chinese and in English) → its code."""
    from django.utils import translation

    aliases = {k.lower(): k for k in kinds}
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            aliases.update({str(v).strip().lower(): k for k, v in labels.items() if k in kinds})
    return aliases


def normalise_constants(mapping: Mapping[str, str], labels: Mapping[str, Any]) -> dict[str, str]:
    """A mapping whose constant kind, if written as people call it (``工单``, ``Ticket``), is its code."""
    out = dict(mapping)
    value = out.get(CONSTANT + "kind")
    if value:
        out[CONSTANT + "kind"] = kind_aliases(set(labels), labels).get(value.strip().lower(), value)
    return out


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def parse_instant(value: Any, tz: tzinfo) -> datetime:
    """An aware datetime from ISO text (``T`` or space, ``/`` or ``-``), a datetime or a date."""
    if type(value) is str:
        try:  # fast path: the common ISO forms (with T or a space, with or without an offset or Z)
            dt = datetime.fromisoformat(value)
        except ValueError:
            dt = _slow_instant(value)
    elif isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, time())
    else:
        dt = _slow_instant(str(value))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return dt.astimezone(UTC)


def _slow_instant(value: str) -> datetime:
    text = value.strip().replace("/", "-")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text)


def _custom_value(v: Any) -> Any:
    """A custom field's cell typed: yes/no, a whole number, a number, or the text. A number too large to
    be one (``1e999``, twenty digits — JSON cannot keep infinity, and no measure is that large) stays
    text, which a field declared as a number refuses."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return v if finite_float(v) is not None else str(v)
    text = str(v).strip()
    low = text.lower()
    if low in ("true", "false", "是", "否", "yes", "no"):
        return low in ("true", "是", "yes")
    if finite_float(text) is None:
        return text
    try:
        return int(text)
    except ValueError:
        return float(text)


def parse_pauses(value: Any, tz: tzinfo) -> list[list[str]]:
    """``start/end; start/end`` (or a list of pairs) → ``[[iso, iso], ...]`` in UTC; raises ValueError."""
    if _blank(value):
        return []
    if isinstance(value, list | tuple):
        pairs = [tuple(p) for p in value]
    else:
        pairs = []
        for part in str(value).replace("；", ";").split(";"):
            if part.strip():
                bits = part.split("/") if part.count("/") == 1 else re.split(r"\s*~\s*|\s+-\s+", part)
                if len(bits) != 2:
                    raise ValueError(part)
                pairs.append((bits[0], bits[1]))
    out: list[list[str]] = []
    for pair in pairs:
        if len(pair) != 2:
            raise ValueError(str(pair))
        a, b = parse_instant(pair[0], tz), parse_instant(pair[1], tz)
        if b < a:
            raise OverflowError(str(pair))  # end before start: reported as a time-order error
        out.append([a.isoformat(), b.isoformat()])
    return out


def clean_row(raw: Mapping[str, Any], ctx: RowContext) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Validate one row given as ``{field: raw value}``; returns (values, [(field, rule), ...])."""
    errors: list[tuple[str, str]] = []
    v: dict[str, Any] = {}
    for name, limit in TEXTS.items():
        value = raw.get(name)
        if type(value) is str:
            text = value.strip()
        elif value is None:
            text = ""
        else:
            text = str(value).strip()
            if isinstance(value, float) and value.is_integer():
                text = str(int(value))
        if len(text) > limit:
            errors.append((name, _("超过 %(n)s 个字符。") % {"n": limit}))
        v[name] = text
    if not v["external_id"]:
        errors.append(("external_id", _("必填。")))
    if not v["kind"]:
        v["kind"] = ctx.default_kind
        if not v["kind"] and not any(f == "kind" for f, _r in errors):
            errors.append(("kind", _("记录类型为空，合同也没有默认类型。")))
    elif v["kind"] not in ctx.kinds:
        known = ctx.kind_aliases.get(v["kind"].lower())
        if known is not None:
            v["kind"] = known
        else:
            errors.append((
                "kind",
                _("记录类型“%(v)s”不在允许的类型中（%(c)s）。")
                % {"v": v["kind"], "c": join_words(_kind_names(ctx))},
            ))  # fmt: skip
    v["priority"] = v["priority"].upper()
    for name in TIMESTAMPS:
        value = raw.get(name)
        if value is None or value == "" or _blank(value):
            v[name] = None
            continue
        try:
            v[name] = parse_instant(value, ctx.tz)
        except (ValueError, TypeError, OverflowError):
            v[name] = None
            errors.append((name, _("不是有效的时间（例如 2026-10-08 09:30 或 2026-10-08T09:30:00+08:00）。")))
    if (
        v["opened_at"] is None
        and v["promised_at"] is None
        and not any(f in ("opened_at", "promised_at") for f, _r in errors)
    ):
        errors.append(("opened_at", _("必填（或填写承诺时间）。")))
    opened = v["opened_at"]
    if opened is not None:
        for later in ("first_response_at", "resolved_at", "delivered_at"):
            if v[later] is not None and v[later] < opened:
                errors.append((later, _("不能早于开始时间。")))
    if (
        v["first_response_at"] is not None
        and v["resolved_at"] is not None
        and v["resolved_at"] < v["first_response_at"]
    ):
        errors.append(("resolved_at", _("不能早于首次响应时间。")))
    csat = raw.get("csat")
    v["csat"] = None
    if type(csat) is str and csat in ctx.csat_texts:
        v["csat"] = ctx.csat_texts[csat]  # fast path for the plain spellings
    elif not _blank(csat):
        low, high = ctx.csat_range
        try:
            number = Decimal(str(csat).strip())
        except InvalidOperation:
            number = Decimal(low - 1)
        if not number.is_finite() or number != number.to_integral_value() or not low <= number <= high:
            errors.append((
                "csat",
                _("合同的满意度量表为 %(s)s：须为 %(l)s 到 %(h)s 的整数。")
                % {"s": ctx.csat_label, "l": low, "h": high},
            ))  # fmt: skip
        else:
            v["csat"] = int(number)
    defect = raw.get("defect")
    v["defect"] = None
    if isinstance(defect, bool):
        v["defect"] = defect
    elif not _blank(defect):
        word = str(defect).strip().lower()
        if isinstance(defect, float | int):
            word = str(int(defect)) if float(defect).is_integer() else word
        if word in _TRUE:
            v["defect"] = True
        elif word in _FALSE:
            v["defect"] = False
        else:
            errors.append(("defect", _("只能填写 是/否（yes/no、1/0）。")))
    try:
        v["pauses"] = parse_pauses(raw.get("paused", raw.get("pauses")), ctx.tz)
    except OverflowError:
        v["pauses"] = []
        errors.append(("paused", _("暂停的结束时间早于开始时间。")))
    except (ValueError, TypeError):
        v["pauses"] = []
        errors.append(("paused", _("格式应为 开始/结束，多段用 ; 分隔。")))
    extra = raw.get("custom")
    items = list(extra.items()) if isinstance(extra, Mapping) else []
    items += [(k[7:], val) for k, val in raw.items() if k.startswith("custom.")]
    v["custom"] = custom_values(items, ctx, errors)
    return v, errors


def _kind_names(ctx: RowContext) -> list[str]:
    """The allowed kinds as the reader calls them (their labels, else their codes)."""
    rest = sorted(ctx.kinds - set(ctx.kind_labels))
    return [str(label) for label in ctx.kind_labels.values()] + rest


def custom_values(
    items: list[tuple[str, Any]], ctx: RowContext, errors: list[tuple[str, str]]
) -> dict[str, Any]:
    """Custom fields ``(name, raw value)`` → ``{name: typed value}`` (blank ones left out), checked against
    the contract's declared types; problems are appended to ``errors``."""
    custom: dict[str, Any] = {}
    for name, value in items:
        if _blank(value):
            continue
        typed = _custom_value(value)
        want = ctx.custom_fields.get(name)
        if want == "number" and (isinstance(typed, bool) or not isinstance(typed, int | float)):
            errors.append(("custom." + name, _("必须是数字。")))
        elif want == "boolean" and not isinstance(typed, bool):
            errors.append(("custom." + name, _("只能填写 是/否。")))
        custom[name] = str(value).strip() if want == "text" else typed
    return custom


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)


def fingerprint_text(values: Mapping[str, Any]) -> str:
    """Everything stored about a record as one unambiguous text (each part as ``<length>:<text>``).

    Timestamps enter as UTC microseconds, so the same instant gives the same text whatever its time
    zone. ``delivery.columnar`` builds the same text column-wise; a test holds the two together.
    """
    v = values
    custom, pauses = v.get("custom"), v.get("pauses")
    parts = [
        v["kind"],
        *("" if v[n] is None else str((v[n] - _EPOCH) // _MICROSECOND) for n in TIMESTAMPS),
        v["priority"],
        v["category"],
        v["status"],
        "" if v["csat"] is None else str(v["csat"]),
        "" if v["defect"] is None else ("1" if v["defect"] else "0"),
        json.dumps(pauses) if pauses else "",
        json.dumps(custom, sort_keys=True, ensure_ascii=False) if custom else "",
    ]
    return "".join(f"{len(p)}:{p}" for p in parts)


def fingerprint(values: Mapping[str, Any]) -> str:
    """A short hash of everything stored, so an unchanged re-import can be recognised cheaply."""
    return hash_text(fingerprint_text(values))


def hash_text(text: str) -> str:
    """The fingerprint of a :func:`fingerprint_text` (both import paths hash with this)."""
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def record_day(values: Mapping[str, Any], tz: tzinfo) -> date:
    """The local date a record counts in: its opened_at, else its promised_at."""
    instant = values.get("opened_at") or values.get("promised_at")
    assert instant is not None
    return instant.astimezone(tz).date()
