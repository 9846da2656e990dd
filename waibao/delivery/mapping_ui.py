"""The column-mapping step of a file import, for people: each column with sample values from the file,
fields by their names in the reader's language, and one value for the whole file instead of a column
(e.g. every row is a ticket). The page posts ``col<i>`` / ``custom<i>`` per column and ``const_<field>``;
:func:`mapping_from_post` turns that into the stored mapping (``rows.split_mapping`` reads it back)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from waibao.contracts.models import RecordKind
from waibao.delivery import ingest, rows
from waibao.delivery.models import ImportJob


def mapping_from_post(headers: list[str], data: Mapping[str, Any]) -> dict[str, str]:
    columns: dict[str, str] = {}
    for i, header in enumerate(headers):
        target = str(data.get(f"col{i}", "") or "")
        if target == "custom":
            target = "custom." + (str(data.get(f"custom{i}", "") or "").strip() or header)
        columns[header] = target
    constants = {f: str(data.get(f"const_{f}", "") or "").strip() for f in rows.CONSTANT_FIELDS}
    return rows.join_mapping(columns, constants)


def page_context(
    job: ImportJob,
    headers: list[str],
    mapping: Mapping[str, str],
    errors: Mapping[str, str] | None = None,
    custom_typed: Mapping[int, str] | None = None,
) -> dict[str, Any]:
    """What the mapping page shows: ``mapping`` is the job's, or what the user just posted (kept as typed
    when it is refused)."""
    samples = ingest.sample_values(job.file.path, job.file_name)
    columns, constants = rows.split_mapping(mapping)
    targets = [("", _("（忽略此列）")), *[(f, rows.field_label(f)) for f in rows.FIELDS]]
    column_rows = []
    for i, header in enumerate(headers):
        target = columns.get(header, "")
        custom = target[7:] if target.startswith("custom.") else ""
        if custom_typed and i in custom_typed:
            custom = custom_typed[i]
        column_rows.append(
            {
                "i": i,
                "header": header,
                "samples": samples.get(header, []),
                "target": "custom" if target.startswith("custom.") else target,
                "custom": custom,
                "error": (errors or {}).get(header, ""),
            }
        )
    default = ingest.kind_default(job.contract)
    constant_rows = []
    for f in rows.CONSTANT_FIELDS:
        constant_rows.append(
            {
                "field": f,
                "label": rows.field_label(f),
                "value": constants.get(f, ""),
                "choices": [(k, str(label)) for k, label in RecordKind.choices] if f == "kind" else None,
                "error": (errors or {}).get(f, ""),
            }
        )
    # Errors about fields (not about one column) are listed above the table, by the field's name.
    general = [
        (rows.field_label(k), v)
        for k, v in (errors or {}).items()
        if k not in columns and k not in rows.CONSTANT_FIELDS
    ]
    default_label = dict(RecordKind.choices).get(default.kind, "") if default.kind else ""
    return {
        "job": job,
        "contract": job.contract,
        "columns": column_rows,
        "targets": targets,
        "constants": constant_rows,
        "general_errors": general,
        "kind_note": ingest.ignored_kind_note(default),
        "default_kind": default_label,
    }
