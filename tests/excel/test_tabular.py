"""core.tabular: one table written as CSV for Excel and as xlsx (ADR 0059)."""
import pytest

from core import tabular
from core.tabular import Column, Kind, Table, csv_bytes, xlsx_bytes
from tests.xlsx_reader import read_cells, sheet_names

COLUMNS = (Column("宛名番号", Kind.ID), Column("氏名"), Column("件数", Kind.NUMBER))


def _rows():
    return [("012345678901234", "=HYPERLINK(\"x\")", 3), ("123456789012345", "山田　花子", 0)]


def test_xlsx_writes_ids_as_text_cells_with_japanese_headers_and_numbers_as_numbers():
    rows = read_cells(xlsx_bytes(Table(COLUMNS, _rows())))
    assert rows[0] == [("s", "宛名番号"), ("s", "氏名"), ("s", "件数")]
    # The leading 0 survives and 15 digits stay 15 digits: a string cell, not a number.
    assert rows[1][0] == ("s", "012345678901234") and rows[2][0] == ("s", "123456789012345")
    # A value that looks like a formula is a string in the workbook, never run.
    assert rows[1][1] == ("s", '=HYPERLINK("x")')
    assert rows[1][2] == ("n", "3")


def test_csv_from_the_same_table_has_a_bom_and_escapes_formulas():
    text = csv_bytes(Table(COLUMNS, _rows())).decode()
    assert text.startswith("\ufeff宛名番号,氏名,件数\r\n")
    assert "'=HYPERLINK" in text and "012345678901234" in text


def test_csv_for_excel_writes_ids_as_text_formulas():
    text = csv_bytes(Table(COLUMNS, _rows()), ids_as_excel_text=True).decode()
    assert '"=""012345678901234"""' in text


def test_a_long_export_goes_on_to_the_next_sheet_with_the_header(monkeypatch):
    monkeypatch.setattr(tabular, "XLSX_MAX_DATA_ROWS", 2)
    content = xlsx_bytes(Table(COLUMNS, [(f"{i:015d}", "", i) for i in range(5)], sheet="結果"))
    assert sheet_names(content) == ["結果", "結果（続き2）", "結果（続き3）"]
    assert [r[0][1] for r in read_cells(content, 3)] == ["宛名番号", "000000000000004"]


@pytest.mark.parametrize("bad", [None, ""])
def test_an_empty_number_is_a_blank_cell(bad):
    rows = read_cells(xlsx_bytes(Table(COLUMNS, [("1", "a", bad)])))
    assert len(rows[1]) in (2, 3) and all(kind != "n" or value == "" for kind, value in rows[1][2:])
