"""Reading .csv/.xlsx uploads into rows, and writing .xlsx exports.

CSV may be UTF-8 (with or without BOM) or GBK/GB18030, as Excel on Chinese Windows saves it.
Row numbers reported to users are the spreadsheet's own (header = row 1, first data row = 2).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter


class SpreadsheetError(ValueError):
    """A file that cannot be read as a table, with a message in the active language naming the rule.

    ``code`` names the rule for the API: ``unreadable``, ``encoding``, ``format``, ``empty``,
    ``zip_bomb``, ``unpacked_too_large``, ``text_table_too_large``, ``cell_too_long``, ``nul``."""

    def __init__(self, message: str, *, code: str = "unreadable") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[tuple[int, dict[str, Any]]]  # (spreadsheet row number, {header: value})
    #: Data rows the file says it has, read without reading the rows: an .xlsx sheet's declared
    #: dimension (may be missing, or wrong in a hand-made file), a CSV file's line count (an upper
    #: bound). None when unknown.
    declared_rows: int | None = None
    #: Closes the file for a caller that stops before the rows end (the rows close it when they end).
    close: Callable[[], None] = field(default=lambda: None)


# --- limits ---------------------------------------------------------------------------------------

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What an uploaded table may hold, checked before and while it is read (settings ``WAIBAO_SHEET_*``).

    An .xlsx file is a zip archive of XML parts; the rows are read as a stream, but the shared text
    table (``sharedStrings.xml``, where Excel keeps every distinct text) is read whole into memory by
    openpyxl. So the archive's directory — each part's declared unpacked size, which the zip reader
    enforces — is checked before any part is opened: a part that unpacks to more than ``ratio`` times
    its packed size (a "zip bomb"), all parts together over ``unpacked_bytes``, or a text table over
    ``text_table_bytes`` refuse the file. While reading, a cell longer than ``cell_chars`` (Excel's
    own limit for a cell is 32,767 characters) refuses it too."""

    cell_chars: int = 32_767
    unpacked_bytes: int = 1024 * MB
    text_table_bytes: int = 100 * MB
    ratio: int = 100
    #: Parts smaller than this unpacked are not held to ``ratio`` (small repetitive XML packs very well).
    ratio_floor: int = 1 * MB


def limits() -> Limits:
    from django.conf import settings

    return Limits(
        cell_chars=int(getattr(settings, "WAIBAO_SHEET_MAX_CELL_CHARS", 32_767)),
        unpacked_bytes=int(getattr(settings, "WAIBAO_SHEET_MAX_UNPACKED_MB", 1024)) * MB,
        text_table_bytes=int(getattr(settings, "WAIBAO_SHEET_MAX_TEXT_TABLE_MB", 100)) * MB,
        ratio=int(getattr(settings, "WAIBAO_SHEET_MAX_RATIO", 100)),
    )


def size_text(n: int) -> str:
    """A byte count as people read it: ``413 KB``, ``400.0 MB``."""
    if n < MB:
        return f"{max(1, round(n / 1024)):,} KB"
    return f"{n / MB:,.1f} MB"


def cell_too_long(row: int, column: str | None, chars: int | None, limit: int) -> SpreadsheetError:
    """The refusal of a cell over the limit, naming its row and (when known) its column."""
    where = {"row": row, "col": column, "limit": f"{limit:,}", "n": f"{chars or 0:,}"}
    if column is None:
        msg = _("第 %(row)s 行有单元格超过每个单元格 %(limit)s 个字符的上限。")
    elif chars is None:
        msg = _("第 %(row)s 行“%(col)s”列的单元格超过每个单元格 %(limit)s 个字符的上限。")
    else:
        msg = _("第 %(row)s 行“%(col)s”列的单元格有 %(n)s 个字符，超过每个单元格 %(limit)s 个字符的上限。")
    return SpreadsheetError(msg % where, code="cell_too_long")


# --- reading --------------------------------------------------------------------------------------

Source = str | os.PathLike[str] | IO[bytes]

#: The first bytes of an .xlsx file (a zip archive) and of a legacy .xls file (an OLE compound file).
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def _head(source: Source, n: int = 8) -> bytes:
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fh:
            return fh.read(n)
    pos = source.tell()
    head = source.read(n)
    source.seek(pos)
    return head


def decode_csv_bytes(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError(_("CSV 文件既不是 UTF-8 也不是 GBK/GB18030 编码。"), code="encoding")


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value
    return value


def _unreadable() -> SpreadsheetError:
    return SpreadsheetError(_("无法读取 Excel 文件。"))


def _text_table_parts(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The parts openpyxl reads whole as the shared text table: the one [Content_Types].xml names (as
    openpyxl finds it), and any part named like it."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS
    from openpyxl.xml.functions import fromstring

    names = {i.filename for i in zf.infolist() if i.filename.lower().endswith("sharedstrings.xml")}
    # No or a broken manifest: openpyxl refuses the file itself.
    with contextlib.suppress(Exception):
        info = zf.getinfo(ARC_CONTENT_TYPES)
        if info.file_size <= MB:  # checked against the ratio rule already; a manifest is a few KB
            found = Manifest.from_tree(fromstring(zf.read(info))).find(SHARED_STRINGS)
            if found is not None:
                names.add(found.PartName.lstrip("/"))
    parts = []
    for name in names:
        with contextlib.suppress(KeyError):
            parts.append(zf.getinfo(name))
    return parts


def check_xlsx(source: Source, lim: Limits | None = None) -> None:
    """Refuse an .xlsx file whose zip directory declares more than :class:`Limits` allow, before any
    part is unpacked (the zip reader never unpacks more than a part declares: it stops with an error)."""
    lim = lim or limits()
    try:
        with zipfile.ZipFile(source) as zf:
            infos = zf.infolist()
            for info in infos:
                packed = max(info.compress_size, 1)
                if info.file_size > lim.ratio_floor and info.file_size > lim.ratio * packed:
                    raise SpreadsheetError(
                        _(
                            "拒绝读取：Excel 文件中的“%(part)s”压缩了 %(ratio)s 倍（%(packed)s 解压后为 %(size)s），"
                            "超过允许的 %(limit)s 倍，这是“压缩炸弹”的特征。"
                        )
                        % {
                            "part": info.filename,
                            "ratio": f"{info.file_size // packed:,}",
                            "packed": size_text(info.compress_size),
                            "size": size_text(info.file_size),
                            "limit": f"{lim.ratio:,}",
                        },
                        code="zip_bomb",
                    )
            total = sum(i.file_size for i in infos)
            if total > lim.unpacked_bytes:
                raise SpreadsheetError(
                    _("拒绝读取：Excel 文件解压后共 %(size)s，超过允许的 %(limit)s。")
                    % {"size": size_text(total), "limit": size_text(lim.unpacked_bytes)},
                    code="unpacked_too_large",
                )
            for info in _text_table_parts(zf):
                if info.file_size > lim.text_table_bytes:
                    raise SpreadsheetError(
                        _(
                            "拒绝读取：Excel 文件的共享文本表（%(part)s）解压后为 %(size)s，超过允许的 %(limit)s。"
                            "请另存为 CSV 后导入。"
                        )
                        % {
                            "part": info.filename,
                            "size": size_text(info.file_size),
                            "limit": size_text(lim.text_table_bytes),
                        },
                        code="text_table_too_large",
                    )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        if isinstance(exc, SpreadsheetError):
            raise
        raise _unreadable() from exc
    finally:
        if not isinstance(source, str | os.PathLike):
            source.seek(0)


def read_xlsx(source: Source, *, lim: Limits | None = None, strip: bool = False) -> Table:
    """Rows of the first sheet, streamed (openpyxl read-only, values only), after :func:`check_xlsx`.

    Cells are returned as read (``strip``: text without surrounding blanks); every text cell is held
    to the cell limit, which names its row and column when a cell breaks it."""
    from openpyxl import load_workbook

    lim = lim or limits()
    check_xlsx(source, lim)
    # openpyxl refuses a *path* without an .xlsx extension; given an open file it reads the content.
    fh: IO[bytes] = open(source, "rb") if isinstance(source, str | os.PathLike) else source  # noqa: SIM115
    own = fh is not source
    try:
        wb = load_workbook(fh, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        if own:
            fh.close()
        raise _unreadable() from exc

    def close() -> None:
        wb.close()
        if own:
            fh.close()

    try:
        if not wb.worksheets:
            raise _unreadable()
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header_row = next(it, None)
        if header_row is None:
            raise SpreadsheetError(_("文件是空的。"), code="empty")
        for i, h in enumerate(header_row):
            if isinstance(h, str) and len(h) > lim.cell_chars:
                raise cell_too_long(1, get_column_letter(i + 1), len(h), lim.cell_chars)
        headers = [str(h).strip() if h is not None else "" for h in header_row]
        declared = (ws.max_row - 1) if ws.max_row else None
    except SpreadsheetError:
        close()
        raise
    except Exception as exc:
        close()
        raise _unreadable() from exc
    fix = _clean if strip else (lambda v: v)

    def xrows() -> Iterator[tuple[int, dict[str, Any]]]:
        n = 1
        try:
            for n, row in enumerate(it, start=2):
                if row is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                    continue
                for i, v in enumerate(row):
                    if isinstance(v, str) and len(v) > lim.cell_chars:
                        col = headers[i] if i < len(headers) and headers[i] else get_column_letter(i + 1)
                        raise cell_too_long(n, col, len(v), lim.cell_chars)
                yield n, {h: fix(v) for h, v in zip(headers, row, strict=False) if h}
        except SpreadsheetError:
            raise
        except Exception as exc:  # broken XML after the first rows
            raise SpreadsheetError(
                _("无法读取 Excel 文件：第 %(row)s 行之后的内容已损坏。") % {"row": n}
            ) from exc
        finally:
            close()

    return Table(headers, xrows(), declared, close)


class RecordLines:
    """A CSV file's lines for ``csv.reader``, keeping those of the record being read: a cell over the csv
    module's field limit stops the reader without saying which cell, and :meth:`oversized_cell` finds it
    so that the refusal names its row and column. The reader's caller calls ``lines.clear()`` after
    each record it gets."""

    def __init__(self, lines: Iterator[str]) -> None:
        self.source = lines
        self.lines: list[str] = []

    def __iter__(self) -> RecordLines:
        return self

    def __next__(self) -> str:
        line = next(self.source)
        self.lines.append(line)
        return line

    def oversized_cell(self) -> tuple[int, int] | None:
        """(index, characters) of the first cell over the csv module's field limit in the record being read
        (its lines read again without the limit), or None when they cannot be read."""
        limit = csv.field_size_limit()
        text = "".join(self.lines)
        try:
            csv.field_size_limit(max(limit, len(text) + 1))
            cells = next(csv.reader(io.StringIO(text, newline="")), [])
        except csv.Error:
            cells = []
        finally:
            csv.field_size_limit(limit)
        return next(((i, len(c)) for i, c in enumerate(cells) if len(c) > limit), None)


def column_name(headers: Sequence[str] | None, index: int) -> str:
    """A column as people find it: its header, or its letter when it has none."""
    if headers is not None and index < len(headers) and headers[index]:
        return headers[index]
    return get_column_letter(index + 1)


def over_field_limit(exc: BaseException) -> bool:
    """Whether ``exc`` is the csv module's refusal of a cell over its field limit."""
    return isinstance(exc, csv.Error) and "field larger than field limit" in str(exc)


def read_csv(source: Source, *, lim: Limits | None = None) -> Table:
    """Rows of a CSV file in UTF-8 (with or without BOM) or GBK/GB18030, streamed; every cell is held
    to the cell limit (the csv module's own limit, 131,072 characters, is answered the same way)."""
    lim = lim or limits()
    if isinstance(source, str | os.PathLike):
        raw: IO[bytes] = open(source, "rb")  # noqa: SIM115 - closed with the rows
        own = True
    else:
        raw, own = source, False
    start = raw.tell()
    head = raw.read(MB)
    lines, last = head.count(b"\n"), head[-1:]
    while block := raw.read(4 * MB):
        lines += block.count(b"\n")
        last = block[-1:]
    raw.seek(start)
    cut = head.rfind(b"\n")
    sample = head if cut < 0 or len(head) < MB else head[: cut + 1]
    encoding = ""
    for enc in ("utf-8-sig", "gb18030"):
        try:
            sample.decode(enc)
        except UnicodeDecodeError:
            continue
        encoding = enc
        break
    text = io.TextIOWrapper(raw, encoding=encoding or "utf-8", newline="")

    def close() -> None:
        if own:
            text.close()
        else:
            with contextlib.suppress(ValueError):
                text.detach()  # the caller's stream stays open

    if not encoding:
        close()
        raise SpreadsheetError(_("CSV 文件既不是 UTF-8 也不是 GBK/GB18030 编码。"), code="encoding")
    record = RecordLines(text)
    reader = csv.reader(record)
    row_no = 1
    header_cells: list[str] | None = None

    def next_row() -> list[str] | None:
        try:
            record.lines.clear()
            return next(reader, None)
        except UnicodeDecodeError as exc:
            raise SpreadsheetError(
                _("CSV 文件既不是 UTF-8 也不是 GBK/GB18030 编码。"), code="encoding"
            ) from exc
        except csv.Error as exc:
            if over_field_limit(exc):
                found = record.oversized_cell()
                column = column_name(header_cells, found[0]) if found else None
                raise cell_too_long(row_no + 1, column, found[1] if found else None, lim.cell_chars) from exc
            raise SpreadsheetError(
                _("第 %(row)s 行不是有效的 CSV（例如引号没有成对）。") % {"row": row_no + 1}
            ) from exc

    try:
        header_cells = next_row()
        if not header_cells:
            raise SpreadsheetError(_("文件是空的。"), code="empty")
        for i, h in enumerate(header_cells):
            if len(h) > lim.cell_chars:
                raise cell_too_long(1, get_column_letter(i + 1), len(h), lim.cell_chars)
    except SpreadsheetError:
        close()
        raise
    headers = [h.strip() for h in header_cells]

    def crows() -> Iterator[tuple[int, dict[str, Any]]]:
        nonlocal row_no
        try:
            while (row := next_row()) is not None:
                row_no += 1
                if not any(cell.strip() for cell in row):
                    continue
                for i, v in enumerate(row):
                    if len(v) > lim.cell_chars or "\x00" in v:
                        col = headers[i] if i < len(headers) and headers[i] else get_column_letter(i + 1)
                        if "\x00" in v:  # no database stores it (PostgreSQL refuses it; XML cannot hold it)
                            raise SpreadsheetError(
                                _("第 %(row)s 行“%(col)s”列的单元格含有空字符（NUL），无法保存。")
                                % {"row": row_no, "col": col},
                                code="nul",
                            )
                        raise cell_too_long(row_no, col, len(v), lim.cell_chars)
                yield row_no, {h: _clean(v) for h, v in zip(headers, row, strict=False) if h}
        finally:
            close()

    # Lines, counting a last line without a newline, less the header: never fewer than the rows.
    declared = max(0, lines + (1 if last and last != b"\n" else 0) - 1)
    return Table(headers, crows(), declared, close)


def read_table(source: Source, filename: str, *, lim: Limits | None = None) -> Table:
    """Rows of the first sheet (xlsx) or of the CSV, keyed by the header row's cells (text stripped).

    ``source`` is a path or an open binary file. The format is read from the content (an .xlsx file is
    a zip archive); the name only says what a file that is neither was meant to be. Reading never holds
    more than one row (and, for .xlsx, the shared text table) in memory; see :class:`Limits`."""
    name = filename.lower()
    head = _head(source)
    if head.startswith(OLE_MAGIC):
        raise SpreadsheetError(
            _("这是旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后再导入。"), code="format"
        )
    if head.startswith(ZIP_MAGIC) or name.endswith(".xlsx"):
        return read_xlsx(source, lim=lim, strip=True)
    if name.endswith(".csv") or name.endswith(".txt"):
        return read_csv(source, lim=lim)
    raise SpreadsheetError(_("只能导入 .csv 或 .xlsx 文件。"), code="format")


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
