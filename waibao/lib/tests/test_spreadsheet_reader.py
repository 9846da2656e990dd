"""The one reader of uploaded tables: zip bombs and oversized text refused by their declared sizes,
before anything is unpacked; cells held to Excel's own limit; messages that name the rule."""

from __future__ import annotations

import base64
import io
import os
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.utils import translation

from waibao.lib import spreadsheets
from waibao.lib.spreadsheets import Limits, SpreadsheetError, read_table

MB = 1024 * 1024

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/{strings}" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="{strings}"/></Relationships>'
)
_SHEET = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<dimension ref="A1:B2"/><sheetData>'
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>'
    "</sheetData></worksheet>"
)


def _xlsx(path: Path, strings: list[bytes | tuple[bytes, int]], *, name: str = "sharedStrings.xml") -> Path:
    """A minimal .xlsx (header 名称, 备注; one data row) whose shared text table holds ``strings``;
    an entry ``(chunk, times)`` is written as ``chunk`` repeated, streamed into the archive so that a
    text of hundreds of megabytes is never held in memory by the test either."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES.format(strings=name))
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(strings=name))
        zf.writestr("xl/worksheets/sheet1.xml", _SHEET)
        with zf.open(f"xl/{name}", "w", force_zip64=True) as out:
            out.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            for item in strings:
                out.write(b"<si><t>")
                chunk, times = item if isinstance(item, tuple) else (item, 1)
                for _ in range(times):
                    out.write(chunk)
                out.write(b"</t></si>")
            out.write(b"</sst>")
    return path


def _plain(tmp_path: Path, remark: bytes = b"ok") -> Path:
    return _xlsx(tmp_path / "plain.xlsx", ["名称".encode(), "备注".encode(), "甲公司".encode(), remark])


@pytest.fixture
def no_parsing(monkeypatch):
    """Fails the test if openpyxl is asked to open the workbook (the refusal must come first)."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)
    return calls


def test_the_minimal_workbook_reads_as_a_table(tmp_path):
    table = read_table(str(_plain(tmp_path)), "plain.xlsx")
    assert table.headers == ["名称", "备注"] and table.declared_rows == 1
    assert list(table.rows) == [(2, {"名称": "甲公司", "备注": "ok"})]


def test_a_413_kb_file_holding_one_huge_string_is_refused_before_anything_is_unpacked(tmp_path, no_parsing):
    # The reported file: one shared string of hundreds of megabytes packed into a few hundred KB.
    path = _xlsx(tmp_path / "bomb.xlsx", ["名称".encode(), b"x", (b"A" * MB, 64), b"y"])
    assert os.path.getsize(path) < 1 * MB
    tracemalloc.start()
    try:
        with pytest.raises(SpreadsheetError) as caught:
            read_table(str(path), "bomb.xlsx")
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.code == "zip_bomb"
    message = caught.value.message
    assert "xl/sharedStrings.xml" in message and "压缩炸弹" in message and "64.0 MB" in message
    assert "100 倍" in message
    assert peak < 8 * MB  # nothing near the declared 64 MB was unpacked
    assert no_parsing == []


def test_the_zip_bomb_refusal_reads_in_english_for_an_english_reader(tmp_path, no_parsing):
    path = _xlsx(tmp_path / "bomb.xlsx", ["名称".encode(), (b"A" * MB, 8)])
    with translation.override("en"), pytest.raises(SpreadsheetError) as caught:
        read_table(str(path), "bomb.xlsx")
    assert "zip bomb" in caught.value.message and "xl/sharedStrings.xml" in caught.value.message
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.message)


def test_a_text_table_larger_than_the_limit_is_refused_by_its_declared_size(tmp_path, no_parsing):
    noise = base64.b64encode(os.urandom(3 * MB // 4 * 3))  # incompressible: no bomb, just large
    path = _xlsx(tmp_path / "big.xlsx", ["名称".encode(), b"x", noise, b"y"])
    lim = Limits(text_table_bytes=2 * MB)
    with pytest.raises(SpreadsheetError) as caught:
        read_table(str(path), "big.xlsx", lim=lim)
    assert caught.value.code == "text_table_too_large"
    assert "共享文本表" in caught.value.message and "2.0 MB" in caught.value.message


def test_a_text_table_under_another_name_is_found_through_the_manifest(tmp_path, no_parsing):
    noise = base64.b64encode(os.urandom(3 * MB // 4 * 3))
    path = _xlsx(tmp_path / "renamed.xlsx", ["名称".encode(), b"x", noise, b"y"], name="strs.xml")
    with pytest.raises(SpreadsheetError) as caught:
        read_table(str(path), "renamed.xlsx", lim=Limits(text_table_bytes=2 * MB))
    assert caught.value.code == "text_table_too_large" and "xl/strs.xml" in caught.value.message


def test_all_parts_together_are_held_to_the_unpacked_limit(tmp_path, no_parsing):
    noise = base64.b64encode(os.urandom(MB))
    path = _xlsx(tmp_path / "big.xlsx", ["名称".encode(), b"x", noise, b"y"])
    with pytest.raises(SpreadsheetError) as caught:
        read_table(str(path), "big.xlsx", lim=Limits(unpacked_bytes=1 * MB))
    assert caught.value.code == "unpacked_too_large" and "1.0 MB" in caught.value.message


def test_a_cell_over_excels_own_limit_is_refused_naming_its_row_and_column(tmp_path):
    path = _plain(tmp_path, remark=b"z" * 40_000)
    table = read_table(str(path), "long.xlsx")
    with pytest.raises(SpreadsheetError) as caught:
        list(table.rows)
    assert caught.value.code == "cell_too_long"
    assert (
        caught.value.message
        == "第 2 行“备注”列的单元格有 40,000 个字符，超过每个单元格 32,767 个字符的上限。"
    )


def test_the_cell_limit_is_a_setting(tmp_path, settings):
    settings.WAIBAO_SHEET_MAX_CELL_CHARS = 10
    table = read_table(str(_plain(tmp_path, remark=b"z" * 11)), "long.xlsx")
    with pytest.raises(SpreadsheetError, match="10 个字符"):
        list(table.rows)


def test_a_broken_archive_is_refused_in_words(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(SpreadsheetError) as caught:
        read_table(str(path), "broken.xlsx")
    assert caught.value.message == "无法读取 Excel 文件。"


def test_an_upload_stream_is_read_and_left_open(tmp_path):
    stream = io.BytesIO(_plain(tmp_path).read_bytes())
    table = read_table(stream, "plain.xlsx")
    assert [r for _n, r in table.rows] == [{"名称": "甲公司", "备注": "ok"}]
    assert not stream.closed


def test_a_csv_cell_over_the_limit_names_row_and_column(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("名称,备注\n甲公司,ok\n乙公司," + "z" * 40_000 + "\n", encoding="utf-8")
    table = read_table(str(path), "long.csv")
    with pytest.raises(SpreadsheetError) as caught:
        list(table.rows)
    assert (
        caught.value.message
        == "第 3 行“备注”列的单元格有 40,000 个字符，超过每个单元格 32,767 个字符的上限。"
    )


def test_a_csv_cell_over_the_csv_modules_own_limit_is_refused_in_words_not_a_crash(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text('名称,备注\n甲公司,"' + "z" * 200_000 + '"\n', encoding="utf-8")
    table = read_table(str(path), "huge.csv")
    with pytest.raises(SpreadsheetError) as caught:
        list(table.rows)
    assert caught.value.code == "cell_too_long" and "第 2 行" in caught.value.message
    assert "field" not in caught.value.message


def test_a_csv_with_a_nul_character_is_refused_in_words(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes("名称,备注\n甲公司,a\x00b\n".encode())
    table = read_table(str(path), "nul.csv")
    with pytest.raises(SpreadsheetError) as caught:
        list(table.rows)
    assert caught.value.message == "第 2 行“备注”列的单元格含有空字符（NUL），无法保存。"


def test_a_gbk_csv_is_read_from_a_path_with_its_declared_rows(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("名称,类别\n甲公司,物流\n\n乙公司,物流".encode("gbk"))
    table = read_table(str(path), "gbk.csv")
    assert table.declared_rows == 3  # the lines after the header: never fewer than the rows
    assert list(table.rows) == [
        (2, {"名称": "甲公司", "类别": "物流"}),
        (4, {"名称": "乙公司", "类别": "物流"}),
    ]


def test_an_old_excel_file_is_refused_by_its_content(tmp_path):
    path = tmp_path / "old.xlsx"
    path.write_bytes(spreadsheets.OLE_MAGIC + b"\x00" * 100)
    with pytest.raises(SpreadsheetError, match=r"\.xls"):
        read_table(str(path), "old.xlsx")
