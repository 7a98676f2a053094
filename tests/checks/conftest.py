import io

import pytest

from checks.file_layouts import configured_layout
from checks.layout_confirmation import layout_confirm
from tests.api.conftest import api  # noqa: F401  (the token-authenticated client factory)

STAMP_URL = "/api/v1/inquiry-files/stamp"
PROVISION_URL = "/api/v1/provision-files/check"

# The 中間サーバ照会用 request layout, written out independently of the definition file: the
# tests build and read lines by these widths, never by the stamper's offsets.
WIDTHS = [2, 15, 15, 17, 20, 20, 16, 1, 16, 16, 16, 16, 16, 16, 1, 1, 8, 8]
CODE_INDEX = 7


def request_line(atena: str, *, integrated: str = "", code: str = "0", dept: str = "税務課") -> bytes:
    """One CP932 request line, every field padded to its width (numbers zero-left, text space-right)."""
    values = ["01", atena.rjust(15, "0"), integrated, "20261203101500123", dept, "user01", "1310410000000001",
              code, "JM0000000000001", "JT0000000000001", "", "", "131041", "TM00000000000003", "1", "1",
              "20260401", "20270331"]
    out = []
    for value, width in zip(values, WIDTHS, strict=True):
        raw = value.encode("cp932")
        out.append(raw.ljust(width, b" "))
    return b",".join(out) + b"\r\n"


PROVISION_WIDTHS = [15, 15, 16, 16, 16, 8, 1]


def provision_line(atena: str, *, disclosure: str = "0", integrated: str = "") -> bytes:
    values = [atena, integrated, "1310410000000001", "JT0000000000001", "TM00000000000003", "20261203", disclosure]
    return b",".join(v.encode("cp932").ljust(w, b" ") for v, w in zip(values, PROVISION_WIDTHS, strict=True)) + b"\r\n"


def send(client, url: str, content: bytes, query: str = "", **data):
    f = io.BytesIO(content)
    f.name = "shokai.txt"
    return client.post(url + query, {"file": f, **data}, format="multipart")


@pytest.fixture
def confirmed(sysadmin):
    """Both configured layouts confirmed by a system administrator."""
    for kind in ("inquiry_request", "manual_provision"):
        layout_confirm(actor=sysadmin, layout=configured_layout(kind))
