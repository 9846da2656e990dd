from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from ninja import Field, Schema

from waibao.core.apiutils import Choice, Number
from waibao.delivery.models import (
    DisputeStatus,
    ImportPolicy,
    JobSource,
    JobStatus,
    ManualStatus,
    ResultStatus,
)


class SlaResultOut(Schema):
    """One SLA metric's result for one period: ``2026-10`` (a month) or ``2026-Q4`` (a quarter), calendar
    periods in the installation's time zone (a record counts on the local day it was opened, else promised).

    ``value`` is in the metric's unit: percent for share-within and rate metrics, business minutes for
    duration metrics, the mean for averages, the number of records for counts. Percentile statistics
    (``median``, ``p90``, ``p95``, any ``p<P>``) are exact, over every record of the period: by **nearest
    rank** — the value at rank ceil(P/100 * n) (at least 1) of the n values sorted ascending, always one of the
    records' own values — unless the metric's ``percentile_method`` is ``linear`` (interpolated at position
    (n - 1) * P/100 + 1, as Excel's PERCENTILE.INC). ``status`` compares ``value`` with ``target`` exactly, and
    a value on the boundary of two tiers belongs to the better one, so a result exactly at its target is never
    charged the next tier's credit."""

    metric: str
    metric_id: int
    period: str
    value: float | None
    sample_size: int
    target: Number
    status: Annotated[str, Choice(ResultStatus)]
    margin: float | None
    tier: int | None
    credit: Number
    bonus: Number
    capped: bool
    currency: str
    contract_version: int
    projected_value: float | None
    warning: str
    closed: bool

    @staticmethod
    def resolve_metric(obj: Any) -> str:
        return str(obj.metric.name)


class RecordOut(Schema):
    id: int
    external_id: str
    kind: str
    opened_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    promised_at: datetime | None
    delivered_at: datetime | None
    priority: str
    category: str
    status: str
    csat: int | None
    defect: bool | None
    pauses: list[list[str]]
    custom: dict[str, Any]
    day: date
    version: int


class RecordIn(Schema):
    """One record; timestamps ISO 8601 (without an offset: the installation's time zone, TIME_ZONE, default
    Asia/Shanghai). ``paused``: list of [start, end]."""

    external_id: str
    kind: str = ""
    opened_at: str | None = None
    first_response_at: str | None = None
    resolved_at: str | None = None
    promised_at: str | None = None
    delivered_at: str | None = None
    priority: str = ""
    category: str = ""
    status: str = ""
    csat: int | str | None = None
    defect: bool | str | None = None
    paused: list[list[str]] | str | None = None
    custom: dict[str, Any] = {}


class BatchIn(Schema):
    records: list[RecordIn]
    policy: Annotated[str, Choice(ImportPolicy)] = "all_or_nothing"


class RowError(Schema):
    row: int
    column: str
    rule: str


class ErrorGroup(Schema):
    """Rows that failed for one reason: how many, and the first of them (the error file has them all)."""

    column: str
    rule: str
    rows: int
    first_rows: list[int]
    text: str


class JobOut(Schema):
    id: int
    contract: str
    source: Annotated[str, Choice(JobSource)]
    file_name: str
    policy: Annotated[str, Choice(ImportPolicy)]
    status: Annotated[str, Choice(JobStatus)]
    rows_total: int | None
    rows_done: int
    rows_per_second: float
    count_new: int
    count_updated: int
    count_unchanged: int
    count_rejected: int
    error_count: int
    errors: list[RowError]
    #: The errors once per rule (column and rule) with a count and the first rows, largest first.
    error_groups: list[ErrorGroup]
    #: Things the import decided that the user should know (e.g. a metric's record kind not used).
    notes: list[str]
    message: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @staticmethod
    def resolve_contract(obj: Any) -> str:
        return str(obj.contract.code)

    @staticmethod
    def resolve_errors(obj: Any) -> list[dict[str, Any]]:
        return [{"row": r, "column": c, "rule": m} for r, c, m in (obj.errors_preview or [])]

    @staticmethod
    def resolve_error_groups(obj: Any) -> list[dict[str, Any]]:
        from waibao.delivery.ingest import group_line

        groups = (obj.summary or {}).get("groups", [])
        return [{**g, "text": group_line(g)} for g in groups]

    @staticmethod
    def resolve_notes(obj: Any) -> list[str]:
        return list((obj.summary or {}).get("notes", []))


class DisputeIn(Schema):
    comment: str
    proposed: dict[str, Any] = {}


class DisputeDecisionIn(Schema):
    response: str = ""


class DisputeOut(Schema):
    id: int
    contract: str
    record_id: int
    external_id: str
    comment: str
    proposed: dict[str, Any]
    status: Annotated[str, Choice(DisputeStatus)]
    raised_at: datetime
    decided_at: datetime | None
    response: str

    @staticmethod
    def resolve_contract(obj: Any) -> str:
        return str(obj.contract.code)

    @staticmethod
    def resolve_external_id(obj: Any) -> str:
        return str(obj.record.external_id)


class CloseOut(Schema):
    period: str
    closed: int


class ManualValueIn(Schema):
    """A manual metric's value for a period: a buyer's is confirmed at once, a vendor user's is proposed."""

    metric_id: int
    period: str
    value: Number
    note: str = ""


class ManualValueOut(Schema):
    id: int
    metric_id: int
    metric: str
    period: str
    value: Number
    status: Annotated[str, Choice(ManualStatus)]
    confirmed_value: Number | None
    note: str
    entered_at: datetime
    decided_at: datetime | None
    response: str

    @staticmethod
    def resolve_metric(obj: Any) -> str:
        return str(obj.metric.name)


class ManualSetOut(Schema):
    manual: ManualValueOut
    result: SlaResultOut | None = None


class ManualDecisionIn(Schema):
    response: str = ""


class MissedColumnOut(Schema):
    """One column of the missed-records list (the same columns as the page and its export)."""

    key: str = Field(
        description="``external_id``; a record field the metric uses (``priority``, ``opened_at``, "
        "``custom.<name>`` …); ``@business`` business hours from start to end; ``@over`` hours beyond the "
        "limit or after the deadline; ``@pauses`` the number of pauses"
    )
    label: str = Field(description="the column's heading in the reader's language, with its unit")


class MissedRecordOut(Schema):
    id: int
    external_id: str
    cells: list[bool | int | Number | str | None] = Field(
        description="one value per column, in the order of ``columns``: times as ISO 8601 with the "
        "installation's offset, hours as numbers, yes/no fields as booleans; null when the record has none"
    )


class MissedPageOut(Schema):
    """One page of the records that count against a metric in a period, read in an indexed order from a
    scan position (the period is never counted)."""

    contract: str
    metric_id: int
    metric: str
    period: str
    rule: str = Field(description="what the metric counts as missed, in words")
    columns: list[MissedColumnOut]
    items: list[MissedRecordOut]
    next: str | None = Field(
        description="cursor of the next page: send it as ``cursor`` with the same filters and sort; "
        "null on the last page"
    )
    partial: bool = Field(
        description="the page examined the scan limit of records before it was full; ``next`` goes on "
        "from where it stopped"
    )
