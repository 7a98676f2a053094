"""Reads an xlsx the way Excel would see its cells, without openpyxl (not installed): the
sheet XML through zipfile + lxml. Each cell comes back as (type, value): "s" for a string
(shared or inline), "n" for a number. Shared by the tests of every xlsx download."""
import io
import zipfile

from lxml import etree

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def _shared_strings(book: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in book.namelist():
        return []
    root = etree.fromstring(book.read("xl/sharedStrings.xml"))
    return ["".join(si.itertext()) for si in root.findall("m:si", NS)]


def sheet_names(content: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        root = etree.fromstring(book.read("xl/workbook.xml"))
        return [str(s.get("name")) for s in root.findall("m:sheets/m:sheet", NS)]


def read_cells(content: bytes, sheet: int = 1) -> list[list[tuple[str, str]]]:
    """The rows of sheet `sheet` (1-based), each a list of (type, value) cells."""
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        strings = _shared_strings(book)
        root = etree.fromstring(book.read(f"xl/worksheets/sheet{sheet}.xml"))
    rows = []
    for row in root.findall("m:sheetData/m:row", NS):
        cells = []
        for c in row.findall("m:c", NS):
            kind = c.get("t", "n")
            value = c.findtext("m:v", default="", namespaces=NS)
            if kind == "s":
                cells.append(("s", strings[int(value)]))
            elif kind == "inlineStr":
                inline = c.find("m:is", NS)
                cells.append(("s", "".join(inline.itertext()) if inline is not None else ""))
            elif kind == "str":
                cells.append(("s", value))
            else:
                cells.append((kind, value))
        rows.append(cells)
    return rows
