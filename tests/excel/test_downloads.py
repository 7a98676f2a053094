"""Every CSV download is also offered as xlsx (issue 12, ADR 0059): the bulk check (screen and
API) and the audit log export. Each xlsx is opened and its cells' types checked: every
宛名番号 and id a string, Japanese headers."""
import base64
import io
import re

from django.urls import reverse

from audit.models import AuditEvent
from audit.services import audit_record
from tests.upload_screens import upload
from tests.xlsx_reader import read_cells

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _data_links(html: str) -> dict[str, bytes]:
    return {m.group(1): base64.b64decode(m.group(2))
            for m in re.finditer(r'href="data:([^;]+);base64,([^"]+)"', html)}


def test_bulk_check_screen_offers_the_result_as_xlsx_with_numbers_as_text(web, counter, other_counter, register):
    register(counter, atena_no="061000000000001")
    html = upload(web(other_counter), "/flags/bulk/check/", b"061000000000001\n061000000000002\n",
                  direction="inquiry").content.decode()
    links = _data_links(html)
    assert set(links) == {"text/csv", XLSX} and 'download="inquiry-check-result.xlsx"' in html
    rows = read_cells(links[XLSX])
    assert rows[0] == [("s", "宛名番号"), ("s", "不開示コード要否（1=要）")]
    assert rows[1] == [("s", "061000000000001"), ("n", "1")] and rows[2] == [("s", "061000000000002"), ("n", "0")]
    # The CSV of the same page has the same header and rows (one row source).
    csv = links["text/csv"].decode()
    assert csv.splitlines()[0] == "\ufeff宛名番号,不開示コード要否（1=要）"
    assert csv.splitlines()[1:] == ['="061000000000001",1', '="061000000000002",0']


def test_above_the_limit_the_screen_offers_the_csv_alone_and_says_why(web, other_counter, settings):
    settings.BULK_SCREEN_XLSX_MAX_ROWS = 1
    html = upload(web(other_counter), "/flags/bulk/check/", b"061000000000001\n061000000000002\n",
                  direction="inquiry").content.decode()
    assert set(_data_links(html)) == {"text/csv"} and 'id="xlsx-too-many"' in html and "1件を超える" in html


def test_bulk_check_api_answers_xlsx_on_accept(api, counter, other_counter, register):
    register(counter, atena_no="061000000000011")
    f = io.BytesIO(b"061000000000011\n061000000000012\n")
    f.name = "n.csv"
    resp = api(other_counter).post("/api/v1/inquiry-checks/bulk/", {"file": f, "direction": "inquiry"},
                                   format="multipart", HTTP_ACCEPT=XLSX)
    assert resp.status_code == 200 and resp["Content-Type"] == XLSX
    assert 'filename="inquiry-check-result.xlsx"' in resp["Content-Disposition"]
    rows = read_cells(resp.content)
    assert [c for row in rows[1:] for c in row] == [("s", "061000000000011"), ("n", "1"),
                                                    ("s", "061000000000012"), ("n", "0")]


def test_audit_export_as_xlsx_has_the_csv_columns_ids_as_text_and_display_names(client, auditor, counter):
    counter.display_name = "窓口　一郎"
    counter.save(update_fields=["display_name"])
    audit_record(actor=counter, action="target.read", target_id=123456789012345)
    client.force_login(auditor)
    resp = client.get(reverse("audit:export_xlsx"), {"action": "target.read"})
    assert resp.status_code == 200 and resp["Content-Type"] == XLSX
    rows = read_cells(b"".join(resp.streaming_content))
    header = [v for _, v in rows[0]]
    csv = client.get(reverse("audit:export_csv"), {"action": "target.read"})
    csv_header = b"".join(csv.streaming_content).decode("utf-8-sig").splitlines()[0].split(",")
    assert header == csv_header and "職員（表示名）" in header
    row = dict(zip(header, rows[1], strict=True))
    assert row["対象者ID"] == ("s", "123456789012345") and row["id"][0] == "s"
    assert row["職員"] == ("s", "counter1") and row["職員（表示名）"] == ("s", "窓口　一郎")
    assert row["操作"][1] != "target.read"  # the Japanese label
    assert AuditEvent.objects.filter(action="audit.export", detail__format="xlsx").count() == 1
