"""The language of one reader never leaks into what another reads.

Text translated when a module is imported is frozen in whatever language the thread had then (the first
request after start-up, or the previous test in the same worker): a vendor export read in Chinese had
English column names after an English page was served first. Module and class level text is lazy.
"""

import ast
from pathlib import Path

import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
EAGER = {"gettext", "pgettext", "ngettext", "npgettext"}


def _eager_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("django.utils.translation"):
            names |= {a.asname or a.name for a in node.names if a.name in EAGER}
    return names


def _import_time_calls(body: list[ast.stmt], eager: set[str]) -> list[int]:
    lines = []
    for st in body:
        if isinstance(st, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(st, ast.ClassDef):
            lines += _import_time_calls(st.body, eager)
            continue
        lines += [
            n.lineno
            for n in ast.walk(st)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in eager
        ]
    return lines


def test_no_module_translates_text_when_it_is_imported():
    offending = []
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts or "tests" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        eager = _eager_names(tree)
        if eager:
            offending += [f"{path.relative_to(ROOT)}:{line}" for line in _import_time_calls(tree.body, eager)]
    assert offending == []


@pytest.mark.django_db
def test_vendor_export_is_chinese_for_a_chinese_reader_after_an_english_page(admin_user, personas, as_user):
    import io

    from openpyxl import load_workbook

    admin_user.language = "en"
    admin_user.save(update_fields=["language"])
    assert as_user(admin_user).get("/vendors/").status_code == 200
    r = as_user(personas["auditor"]).get("/vendors/export.xlsx")
    header = next(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert header[0] == "编号"


def test_each_test_starts_in_the_default_language():
    assert translation.get_language() == "zh-hans"
    translation.activate("en")  # left active on purpose: the root conftest resets it after the test
