"""One table, two files: every download the product offers as CSV is also offered as xlsx
(issue 12, ADR 0059), both written from the same columns and the same row source, so that
a column added to one cannot be missing from the other.

CSV for Excel: UTF-8 with a BOM, and no cell a spreadsheet would run as a formula (a text
starting with = + - @ tab or CR gets a leading apostrophe). xlsx: written with xlsxwriter in
constant_memory mode (one row in memory at a time, so a million lines of a bulk check or
of the audit log do not sit in RAM), and every number-like identifier — 宛名番号, ids,
codes — as a TEXT cell: Excel then neither shows 15 digits as 1.23E+14 nor drops a leading
0, and a lookup against the 宛名番号 column matches. xlsx cells are never formulas
(write_string), so the apostrophe guard is not needed there.
"""
from __future__ import annotations

import csv
import enum
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

import xlsxwriter
from django.http import FileResponse, StreamingHttpResponse

BOM = "\ufeff"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Excel's last row is 1,048,576; the header takes one. An export beyond it goes on to the
# next sheet (「続き2」…) with the header repeated, rather than being cut silently.
XLSX_MAX_DATA_ROWS = 1_048_575


class Kind(enum.Enum):
    TEXT = "text"  # names, labels, codes: a string cell
    ID = "id"  # 宛名番号 and other number-like identifiers: a string cell, never a number
    NUMBER = "number"  # a count: a number cell (sums in Excel)


@dataclass(frozen=True)
class Column:
    header: str  # Japanese: what a clerk reads in row 1
    kind: Kind = Kind.TEXT
    width: int = 14  # xlsx column width in characters


@dataclass(frozen=True)
class Table:
    """Columns and the rows to write under them (each row a sequence in column order). The rows
    are iterated once: pass a generator over a queryset's .iterator() for a large export."""

    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    sheet: str = "データ"

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


def safe_cell(value: object) -> str:
    """A CSV cell as text that Excel will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _excel_text(value: object) -> str:
    """An identifier for a CSV meant for Excel (ADR 0051): ="123…" keeps the digits as text.
    Only for values made of digits (our own normalised numbers), so no formula of an
    uploader's can ride on it."""
    text = "" if value is None else str(value)
    return f'="{text}"' if text.isdigit() else safe_cell(text)


def csv_lines(table: Table, *, ids_as_excel_text: bool = False) -> Iterator[str]:
    """The table as CSV lines (the first with the BOM), for a streaming response.
    `ids_as_excel_text`: ID columns written as ="…" (the bulk check's screen download)."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow(table.headers)
    id_columns = [c.kind is Kind.ID and ids_as_excel_text for c in table.columns]
    for row in table.rows:
        yield writer.writerow([_excel_text(v) if as_text else safe_cell(v)
                               for v, as_text in zip(row, id_columns, strict=True)])


def csv_bytes(table: Table, *, ids_as_excel_text: bool = False) -> bytes:
    return "".join(csv_lines(table, ids_as_excel_text=ids_as_excel_text)).encode()


def _cell_writer(kind: Kind, text_format: Any) -> Callable[[Any, int, int, object], None]:
    if kind is Kind.NUMBER:
        def number(ws: Any, r: int, c: int, value: object) -> None:
            if value is None or value == "":
                ws.write_blank(r, c, None)
            else:
                ws.write_number(r, c, value)
        return number

    def string(ws: Any, r: int, c: int, value: object) -> None:
        ws.write_string(r, c, "" if value is None else str(value), text_format)
    return string


def xlsx_file(table: Table) -> IO[bytes]:
    """The table as an xlsx workbook in a temporary file, rewound, for a FileResponse (which
    closes, and so deletes, it after sending). Row 1 is the header, frozen and bold."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_numbers": False,
                                         "strings_to_formulas": False, "strings_to_urls": False})
    header_format = workbook.add_format({"bold": True, "bg_color": "#E8F1FE", "border": 1})
    # "@" is Excel's Text number format: a cell typed into later stays text too.
    text_format = workbook.add_format({"num_format": "@"})
    writers = [_cell_writer(c.kind, text_format) for c in table.columns]

    def new_sheet(number: int) -> Any:
        ws = workbook.add_worksheet(table.sheet if number == 1 else f"{table.sheet}（続き{number}）"[:31])
        for c, column in enumerate(table.columns):
            ws.set_column(c, c, column.width, text_format if column.kind is not Kind.NUMBER else None)
            ws.write_string(0, c, column.header, header_format)
        ws.freeze_panes(1, 0)
        return ws

    sheets = 1
    ws, r = new_sheet(sheets), 0
    for row in table.rows:
        if r == XLSX_MAX_DATA_ROWS:
            sheets += 1
            ws, r = new_sheet(sheets), 0
        r += 1
        for c, (write, value) in enumerate(zip(writers, row, strict=True)):
            write(ws, r, c, value)
    workbook.close()
    out.seek(0)
    return out


def xlsx_bytes(table: Table) -> bytes:
    with xlsx_file(table) as f:
        return f.read()


def csv_response(table: Table, filename: str, *, ids_as_excel_text: bool = False) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(table, ids_as_excel_text=ids_as_excel_text),
                                     content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(table: Table, filename: str) -> FileResponse:
    return FileResponse(xlsx_file(table), as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


def table_response(table: Table, stem: str, file_format: str) -> StreamingHttpResponse | FileResponse:
    """The table as the file asked for: `stem`.xlsx, or `stem`.csv (streamed) for anything else.
    The one place an export view turns its format into a response."""
    if file_format == "xlsx":
        return xlsx_response(table, f"{stem}.xlsx")
    return csv_response(table, f"{stem}.csv")
