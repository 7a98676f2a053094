"""The stamper's, the provision check's and the layouts' screens (client tests)."""
import re

from audit.models import AuditEvent
from checks.models import FileLayoutConfirmation
from tests.upload_screens import data_link, upload

from .conftest import provision_line, request_line


def test_stamp_screen_refuses_before_confirmation_then_stamps(web, counter, other_counter, sysadmin, register):
    register(counter, atena_no="610000000000001")
    client = web(other_counter)
    page = client.get("/flags/bulk/inquiry-file-stamp/")
    assert page.status_code == 200 and "照会依頼ファイルの不開示コード設定" in page.content.decode()
    content = request_line("610000000000001") + request_line("610000000000002")
    resp = upload(client, "/flags/bulk/inquiry-file-stamp/", content)
    assert resp.status_code == 409 and "確認されていない" in resp.content.decode()
    # The system administrator confirms on the layouts screen.
    admin = web(sysadmin)
    page = admin.get("/flags/file-layouts/")
    html = page.content.decode()
    assert page.status_code == 200 and "未確認" in html and "<code>1</code>" in html
    sha = re.search(r'name="sha256" value="([0-9a-f]{64})" id="inquiry_request-sha256"', html).group(1)
    assert admin.post("/flags/file-layouts/", {"kind": "inquiry_request", "sha256": sha}).status_code == 400
    resp = admin.post("/flags/file-layouts/", {"kind": "inquiry_request", "sha256": sha, "understood": "on"})
    assert resp.status_code == 302
    assert FileLayoutConfirmation.objects.get().confirmed_by == sysadmin
    assert "確認済み" in admin.get("/flags/file-layouts/").content.decode()
    client = web(other_counter)
    resp = upload(client, "/flags/bulk/inquiry-file-stamp/", content)
    html = resp.content.decode()
    assert resp.status_code == 200 and "<strong>1</strong> 行に不開示コードを設定しました" in html
    assert data_link(html) == request_line("610000000000001", code="1") + request_line("610000000000002")
    assert AuditEvent.objects.filter(action="inquiry_file.stamp", outcome="allowed").count() == 1


def test_a_stale_page_does_not_confirm_a_changed_definition(web, sysadmin):
    admin = web(sysadmin)
    resp = admin.post("/flags/file-layouts/", {"kind": "inquiry_request", "sha256": "0" * 64, "understood": "on"})
    assert resp.status_code == 302 and not FileLayoutConfirmation.objects.exists()


def test_who_sees_the_screens(web, counter, nonlinkage_counter, sysadmin):
    assert web(counter).get("/flags/file-layouts/").status_code == 403
    assert web(nonlinkage_counter).get("/flags/bulk/inquiry-file-stamp/").status_code == 403
    assert web(sysadmin).get("/flags/bulk/provision-file-check/").status_code == 403


def test_stamp_screen_shows_malformed_lines(web, other_counter, confirmed):
    resp = upload(web(other_counter), "/flags/bulk/inquiry-file-stamp/",
                  request_line("610000000000002") + request_line("610000000000002")[:-3] + b"\r\n")
    assert resp.status_code == 400 and "2行目" in resp.content.decode()


def test_provision_screen_fixes_or_refuses(web, counter, other_counter, register, confirmed):
    register(counter, atena_no="610000000000001")
    client = web(other_counter)
    content = provision_line("610000000000001") + provision_line("610000000000002")
    resp = upload(client, "/flags/bulk/provision-file-check/", content)
    html = resp.content.decode()
    assert resp.status_code == 200 and "<strong>1</strong> 行を「開示」から「不開示」に直しました" in html
    assert data_link(html) == provision_line("610000000000001", disclosure="1") + provision_line("610000000000002")
    resp = upload(client, "/flags/bulk/provision-file-check/", content, refuse="on")
    assert resp.status_code == 400 and "1行目" in resp.content.decode()
