"""Reading .csv/.xlsx uploads into rows, and writing .xlsx exports.

CSV may be UTF-8 (with or without BOM) or GBK/GB18030, as Excel on Chinese Windows saves it.
Row numbers reported to users are the spreadsheet's own (header = row 1, first data row = 2).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter


class SpreadsheetError(ValueError):
    pass


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[tuple[int, dict[str, Any]]]  # (spreadsheet row number, {header: value})


def decode_csv_bytes(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError(_("CSV 文件既不是 UTF-8 也不是 GBK/GB18030 编码。"))


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value
    return value


def read_table(stream: IO[bytes], filename: str) -> Table:
    """Rows of the first sheet (xlsx) or of the CSV, keyed by the header row's cells.

    The format is read from the content (an .xlsx file is a zip archive); the name only says what a
    file that is neither was meant to be."""
    name = filename.lower()
    data = stream.read()
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise SpreadsheetError(_("这是旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后再导入。"))
    if data.startswith(b"PK\x03\x04") or name.endswith(".xlsx"):
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise SpreadsheetError(_("无法读取 Excel 文件。")) from exc
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        try:
            header_row = next(it)
        except StopIteration:
            raise SpreadsheetError(_("文件是空的。")) from None
        headers = [str(h).strip() if h is not None else "" for h in header_row]

        def xrows() -> Iterator[tuple[int, dict[str, Any]]]:
            for n, row in enumerate(it, start=2):
                if row is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                    continue
                yield n, {h: _clean(v) for h, v in zip(headers, row, strict=False) if h}
            wb.close()

        return Table(headers, xrows())
    if name.endswith(".csv") or name.endswith(".txt"):
        text = decode_csv_bytes(data)
        reader = csv.reader(io.StringIO(text))
        try:
            headers = [h.strip() for h in next(reader)]
        except StopIteration:
            raise SpreadsheetError(_("文件是空的。")) from None

        def crows() -> Iterator[tuple[int, dict[str, Any]]]:
            for n, row in enumerate(reader, start=2):
                if not any(cell.strip() for cell in row):
                    continue
                yield n, {h: _clean(v) for h, v in zip(headers, row, strict=False) if h}

        return Table(headers, crows())
    raise SpreadsheetError(_("只能导入 .csv 或 .xlsx 文件。"))


def _cell(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    if isinstance(value, Decimal | int | float | date | datetime | bool) or value is None:
        return value
    return str(value)


def write_xlsx(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """An .xlsx with one sheet per (title, headers, rows); header row bold and frozen."""
    wb = Workbook(write_only=False)
    wb.remove(wb.active)  # type: ignore[arg-type]
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title[:31])
        ws.append(list(headers))
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
        widths = [len(str(h)) * 2 + 2 for h in headers]
        for row in rows:
            values = [_cell(v) for v in row]
            ws.append(values)
            for cell, v in zip(ws[ws.max_row], values, strict=False):
                if isinstance(v, str) and v.startswith(FORMULA_STARTS):
                    cell.data_type = "s"  # text that looks like a formula stays text, never a formula
            for i, v in enumerate(values):
                widths[i] = min(60, max(widths[i], len(str(v)) + 2 if v is not None else 0))
        for i, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = w
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: A cell that starts with one of these is taken as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: Any) -> str:
    """One CSV cell: text that a spreadsheet would run as a formula gets a leading apostrophe (shown
    as text); datetimes without zone as "YYYY-MM-DD HH:MM:SS"; None as empty."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return str(value)


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A UTF-8 CSV with BOM (Excel on Chinese Windows opens it correctly), formula-looking text kept as text."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([csv_text(h) for h in headers])
    for row in rows:
        w.writerow([csv_text(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
