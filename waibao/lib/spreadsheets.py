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
    raise SpreadsheetError("the CSV file is neither UTF-8 nor GBK/GB18030 text")


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value
    return value


def read_table(stream: IO[bytes], filename: str) -> Table:
    """Rows of the first sheet (xlsx) or of the CSV, keyed by the header row's cells."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        try:
            wb = load_workbook(stream, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise SpreadsheetError(f"cannot read the Excel file: {exc}") from exc
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        try:
            header_row = next(it)
        except StopIteration:
            raise SpreadsheetError("the file is empty") from None
        headers = [str(h).strip() if h is not None else "" for h in header_row]

        def xrows() -> Iterator[tuple[int, dict[str, Any]]]:
            for n, row in enumerate(it, start=2):
                if row is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                    continue
                yield n, {h: _clean(v) for h, v in zip(headers, row, strict=False) if h}
            wb.close()

        return Table(headers, xrows())
    if name.endswith(".csv") or name.endswith(".txt"):
        text = decode_csv_bytes(stream.read())
        reader = csv.reader(io.StringIO(text))
        try:
            headers = [h.strip() for h in next(reader)]
        except StopIteration:
            raise SpreadsheetError("the file is empty") from None

        def crows() -> Iterator[tuple[int, dict[str, Any]]]:
            for n, row in enumerate(reader, start=2):
                if not any(cell.strip() for cell in row):
                    continue
                yield n, {h: _clean(v) for h, v in zip(headers, row, strict=False) if h}

        return Table(headers, crows())
    raise SpreadsheetError("only .xlsx and .csv files can be imported")


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
            for i, v in enumerate(values):
                widths[i] = min(60, max(widths[i], len(str(v)) + 2 if v is not None else 0))
        for i, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = w
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
