
import pytest
from django.test import Client

from audit.models import AuditEvent
from tests.conftest import verify_second_factor
from tests.upload_screens import data_link, upload


def test_bulk_check_screen_answers_and_hands_back_a_csv(web, counter, other_counter, register):
    register(counter, atena_no="610000000000001")
    client = web(other_counter)
    page = client.get("/flags/bulk/check/")
    assert page.status_code == 200 and "照会時確認（一括）" in page.content.decode()
    resp = upload(client, "/flags/bulk/check/", "610000000000001\n６１００００００００００００２\n".encode("cp932"),
                  direction="inquiry")
    html = resp.content.decode()
    assert resp.status_code == 200 and "2 件を確認しました" in html
    # For Excel (ADR 0051): a BOM, and each number as text so that 15 digits stay 15 digits.
    assert data_link(html).decode() == ('\ufeff宛名番号,不開示コード要否（1=要）\r\n'
                                        '="610000000000001",1\r\n="610000000000002",0\r\n')
    assert AuditEvent.objects.filter(action="inquiry.bulk_check", detail__source="file").exists()


def test_bulk_check_screen_reports_bad_lines_and_checks_the_rest(web, counter, other_counter, register):
    """Issue 12: two bad lines no longer refuse the clerk's whole file (ADR 0050)."""
    register(counter, atena_no="610000000000003")
    content = "610000000000001\n61000\n６１００００００００００００３\nabc\n".encode()  # UTF-8, full width
    resp = upload(web(other_counter), "/flags/bulk/check/", content, direction="inquiry")
    html = resp.content.decode()
    assert resp.status_code == 200 and "2 件を確認しました" in html and "<strong>1</strong> 件" in html
    assert "形式に誤りのある行が 2 行あります" in html and "2行目：" in html and "4行目：" in html
    assert "errors のキー" not in html
    assert data_link(html).decode().endswith('="610000000000001",0\r\n="610000000000003",1\r\n')


def test_recipient_filter_screen(web, counter, other_counter, register):
    register(counter, atena_no="610000000000011")
    resp = upload(web(other_counter), "/flags/bulk/recipient-filter/", b"610000000000011,a\r\n610000000000012,b\r\n")
    html = resp.content.decode()
    assert resp.status_code == 200 and "1</strong> 件を除外しました" in html
    assert data_link(html) == b"610000000000012,b\r\n"


def test_oversize_screen_upload_is_refused(web, other_counter, settings):
    settings.RECIPIENT_FILTER_MAX_UPLOAD_BYTES = 200  # the recipient file's own cap (ADR 0017)
    resp = upload(web(other_counter), "/flags/bulk/recipient-filter/", b"610000000000012\n" * 100)
    assert resp.status_code == 413 and "大きすぎます" in resp.content.decode()


@pytest.mark.parametrize("url", ["/flags/bulk/check/", "/flags/bulk/recipient-filter/"])
def test_screens_need_login_and_a_linkage_department(client, web, url, nonlinkage_counter, sysadmin, auditor,
                                                     counter):
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    for staff in (nonlinkage_counter, sysadmin, auditor):
        assert web(staff).get(url).status_code == 403
    assert web(counter).get(url).status_code == 200


def test_screen_post_requires_csrf(counter, other_counter):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(other_counter)
    verify_second_factor(strict, other_counter)
    resp = upload(strict, "/flags/bulk/check/", b"610000000000001\n", direction="inquiry")
    assert resp.status_code == 403
