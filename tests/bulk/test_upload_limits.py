"""Uploads cannot starve the check (issue 10 item 3, ADR 0017): caps on lines (all, and
malformed) and bytes stop the reading at the first one reached, and one caller runs one
bulk job at a time. Positions read are asserted, never times."""
import datetime
import io
import json
import uuid

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate

from audit.models import AuditEvent
from checks.api import BulkInquiryCheckApi, RecipientFilterApi
from checks.jobs import job_slot_release, job_slot_take
from checks.models import BulkJobSlot
from core.uploads import LimitedUploadHandler, max_recipient_file_bytes, max_upload_bytes
from integration.models import SystemClient
from tests.conftest import system_client_key

BULK = "/api/v1/inquiry-checks/bulk/"
FILTER = "/api/v1/recipient-filter/"
ENDPOINTS = [(BULK, BulkInquiryCheckApi), (FILTER, RecipientFilterApi)]
MiB = 1 << 20


def multipart(content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="direction"\r\n\r\ninquiry\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="list.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class CountingStream(io.BytesIO):
    """The request body, counting how much of it the server read."""

    consumed = 0

    def read(self, size=-1):
        data = super().read(size)
        self.consumed += len(data)
        return data

    def readline(self, size=-1):
        data = super().readline(size)
        self.consumed += len(data)
        return data


def call(view_class, url, content: bytes, user):
    """The endpoint's view on a raw body; returns (response, bytes of the body read)."""
    body, content_type = multipart(content)
    request = APIRequestFactory().post(url, data=b"", content_type=content_type)
    stream = CountingStream(body)
    request.META["CONTENT_LENGTH"] = str(len(body))
    request._stream = stream
    force_authenticate(request, user=user)
    response = view_class.as_view()(request)
    return response, stream.consumed, len(body)


def message(response) -> str:
    return " ".join(response.data["errors"].get("file", []))


@pytest.mark.parametrize("url,view_class", ENDPOINTS)
@pytest.mark.parametrize("line", [b"\n", b"x\n"], ids=["blank", "x"])
def test_just_over_the_line_cap_is_refused_naming_the_cap_and_the_line(settings, other_counter, url, view_class,
                                                                       line):
    settings.BULK_MAX_LINES = 1000
    settings.BULK_MAX_BLANK_LINES = 5000  # the line cap is the first one reached here
    response, _, _ = call(view_class, url, line * 1001, other_counter)
    assert response.status_code == 413
    assert "行数が上限（1,000 行、空行を含む）" in message(response)
    assert "1,001 行目で読み込みを止めました" in message(response)
    response, _, _ = call(view_class, url, b"500000000000002\n" + line * 998, other_counter)
    assert response.status_code != 413  # exactly at the cap: read through


@pytest.mark.parametrize("url,view_class", ENDPOINTS)
@pytest.mark.parametrize("line", [b"\n", b"x\n"], ids=["blank", "x"])
def test_a_flood_of_short_lines_stops_the_reading_at_the_line_cap(settings, other_counter, url, view_class, line):
    """The 63 MiB attack, scaled: 8 MiB of blank or `x` lines against a cap of 1,000 lines
    (1 or 2 KB): the server reads the first chunk of the file part and stops."""
    settings.BULK_MAX_LINES = 1000
    settings.BULK_MAX_BLANK_LINES = 5000  # the line cap is the first one reached here
    settings.BULK_MAX_UPLOAD_BYTES = settings.RECIPIENT_FILTER_MAX_UPLOAD_BYTES = 16 * MiB
    response, consumed, total = call(view_class, url, line * (8 * MiB // len(line)), other_counter)
    assert response.status_code == 413 and "1,001 行目で読み込みを止めました" in message(response)
    assert total > 8 * MiB and consumed < 256 * 1024, consumed  # a 64 KiB chunk or two, not the 8 MiB


@pytest.mark.parametrize("url,view_class", ENDPOINTS)
@pytest.mark.parametrize("line", [b"\n", b"x\n", b"12345\r\n"], ids=["blank", "x", "short"])
def test_at_the_default_caps_a_flood_of_short_lines_stops_within_the_first_chunk(other_counter, url, view_class,
                                                                                 line):
    """Lines too short to hold a number (blank or malformed) are counted while the upload
    streams in, against BULK_MAX_BLANK_LINES + BULK_MAX_MALFORMED_LINES (2,000): the red
    team's flood is refused at line 2,001 without reading the rest."""
    assert settings.BULK_MAX_BLANK_LINES + settings.BULK_MAX_MALFORMED_LINES == 2000
    response, consumed, total = call(view_class, url, b"500000000000002\n" + line * (8 * MiB // len(line)),
                                     other_counter)
    assert response.status_code == 400
    assert "短い行が上限（2,000 行）を超えたため、2,002 行目で読み込みを止めました" in message(response)
    assert total > 8 * MiB and consumed < 256 * 1024, consumed


def test_short_lines_are_counted_across_chunk_boundaries(other_counter, settings):
    """A line split between two 64 KiB chunks is one line: valid numbers are never counted
    as short, whatever the chunking."""
    content = b"500000000000002\r\n" * 10_000
    for chunk_size in (7, 64, 1000, 65536):
        handler = LimitedUploadHandler(limit=10 * MiB, short=0)
        for i in range(0, len(content), chunk_size):
            handler._count_lines(content[i:i + chunk_size])
        assert handler.refusal is None and handler.short == 0 and handler.newlines == 10_000, chunk_size
    handler = LimitedUploadHandler(limit=10 * MiB, short=2)
    for piece in (b"5000000", b"00000002\n\n", b"x", b"\n123", b"\n"):
        handler._count_lines(piece)
    assert "4 行目で読み込みを止めました" in handler.refusal.errors["file"]


@pytest.mark.parametrize("url", [BULK, FILTER])
def test_the_malformed_line_cap_stops_the_parse_at_the_next_malformed_line(settings, api, other_counter, url):
    settings.BULK_MAX_MALFORMED_LINES = 10
    # long enough to hold a number, so only the parse can tell they are malformed
    f = io.BytesIO(b"500000000000002\n" + b"5000000000000XX\n" * 50_000)
    f.name = "list.csv"
    response = api(other_counter).post(url, {"file": f, "direction": "inquiry"}, format="multipart")
    assert response.status_code == 400
    errors = response.json()["errors"]
    text = " ".join(errors["file"])
    assert "形式に誤りのある行が上限（10 行）を超えたため、12 行目で読み込みを止めました" in text
    # the report stops where the reading stopped: lines 2..12, nothing after
    assert sorted(int(k.split(":")[1]) for k in errors if k != "file") == list(range(2, 13))


@pytest.mark.parametrize("url,view_class,limit", [(BULK, BulkInquiryCheckApi, max_upload_bytes),
                                                  (FILTER, RecipientFilterApi, max_recipient_file_bytes)])
def test_63_mib_is_refused_by_its_declared_length_before_any_parsing(other_counter, url, view_class, limit):
    """At the default caps: the 63 MiB upload of the red team never reaches the parser."""
    assert limit() < 63 * MiB
    request = APIRequestFactory().post(url, data=b"", content_type="multipart/form-data; boundary=x")
    request.META["CONTENT_LENGTH"] = str(63 * MiB)
    stream = CountingStream(b"\n" * 1024)
    request._stream = stream
    force_authenticate(request, user=other_counter)
    response = view_class.as_view()(request)
    assert response.status_code == 413 and "アップロードが大きすぎます" in message(response)
    assert stream.consumed == 0


def test_the_default_caps_fit_the_documented_million_numbers():
    """1,000,000 numbers fit as a file (15 digits + CRLF) and as JSON; the 宛先ファイル of the
    benchmark (CP932, three columns) fits; the line cap leaves room for a header."""
    numbers = [f"{300000000000000 + i:015d}" for i in range(1_000_000)]
    as_file = len(("\r\n".join(numbers) + "\r\n").encode())
    as_json = len(json.dumps({"atena_nos": numbers, "direction": "inquiry"}).encode())
    assert as_file < as_json < max_upload_bytes() <= as_json + 2 * MiB
    recipient_line = len("300000000000001,3,お知らせ区分1\r\n".encode("cp932"))
    assert recipient_line * 1_000_001 < max_recipient_file_bytes()
    assert settings.BULK_MAX_LINES > settings.BULK_MAX_NUMBERS


# --- one bulk job per caller --------------------------------------------------------------


def send(client, url=BULK):
    f = io.BytesIO(b"500000000000002\n")
    f.name = "list.csv"
    return client.post(url, {"file": f, "direction": "inquiry"}, format="multipart")


@pytest.mark.parametrize("url,action", [(BULK, "inquiry.bulk_check"), (FILTER, "recipient_filter.run")])
def test_a_second_concurrent_bulk_job_of_the_same_caller_is_429(api, other_counter, counter, url, action):
    running = job_slot_take(other_counter, action=action)  # the first job, still running
    response = send(api(other_counter), url)
    assert response.status_code == 429
    assert "一括処理" in response.json()["detail"] and "実行中" in response.json()["detail"]
    refused = AuditEvent.objects.get(action=action, outcome="denied", actor_username="zeimu1")
    assert refused.detail == {"reason": "concurrent_job"}
    assert send(api(counter), url).status_code == 200  # another caller is not blocked
    job_slot_release(running)
    assert send(api(other_counter), url).status_code == 200
    assert not BulkJobSlot.objects.exists()  # every finished request gave its slot back


def test_the_slot_is_given_back_after_a_refused_body(api, other_counter):
    client = api(other_counter)
    assert client.post(BULK, {"atena_nos": ["123"], "direction": "inquiry"}, format="json").status_code == 400
    assert send(client).status_code == 200
    assert not BulkJobSlot.objects.exists()


def test_a_system_client_has_its_own_slot(db, counter, other_counter):
    key = system_client_key("zeimu-batch", "zeimu", "inquiry_check")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"System {key}")
    assert send(client).status_code == 200
    service_account = SystemClient.objects.get(code="zeimu-batch").staff
    running = job_slot_take(service_account, action="inquiry.bulk_check")
    assert send(client).status_code == 429
    job_slot_release(running)


def test_a_slot_left_by_a_killed_worker_expires(api, other_counter, settings):
    settings.BULK_JOB_SLOT_SECONDS = 600
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        stale = job_slot_take(other_counter, action="inquiry.bulk_check")  # its worker was killed
        assert send(api(other_counter)).status_code == 429
    with time_machine.travel(start + datetime.timedelta(seconds=601), tick=False):
        assert send(api(other_counter)).status_code == 200
        running = job_slot_take(other_counter, action="inquiry.bulk_check")  # took the expired slot over
        job_slot_release(stale)  # a job that outlived its slot does not free the one running now
        assert send(api(other_counter)).status_code == 429
        job_slot_release(running)


def test_two_jobs_per_caller_when_configured(api, other_counter, settings):
    settings.BULK_JOBS_PER_CALLER = 2
    first = job_slot_take(other_counter, action="inquiry.bulk_check")
    second = job_slot_take(other_counter, action="inquiry.bulk_check")
    assert send(api(other_counter)).status_code == 429
    job_slot_release(first)
    assert send(api(other_counter)).status_code == 200
    job_slot_release(second)


def test_the_screen_refuses_a_second_job_in_japanese(client, other_counter):
    client.force_login(other_counter)
    running = job_slot_take(other_counter, action="inquiry.bulk_check")
    f = io.BytesIO(b"500000000000002\n")
    f.name = "list.csv"
    response = client.post("/flags/bulk/check/", {"file": f, "direction": "inquiry"})
    assert response.status_code == 429 and "実行中" in response.content.decode()
    job_slot_release(running)


def test_the_screen_names_the_line_cap(client, other_counter, settings):
    settings.BULK_MAX_LINES = 100
    settings.BULK_MAX_BLANK_LINES = 5000
    client.force_login(other_counter)
    f = io.BytesIO(b"\n" * 5000)
    f.name = "list.csv"
    response = client.post("/flags/bulk/recipient-filter/", {"file": f})
    assert response.status_code == 413 and "101 行目で読み込みを止めました" in response.content.decode()


# --- every other view: no large body is read at all ---------------------------------------


def test_a_large_multipart_body_to_any_other_screen_is_413_before_it_is_spooled(client, counter, settings,
                                                                               tmp_path):
    """The CSRF check reads request.POST of every screen's POST, and Django's default upload
    handlers would spool any file part to disk first: above DATA_UPLOAD_MAX_MEMORY_SIZE only
    the views that cap their own body read it."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    client.force_login(counter)
    f = io.BytesIO(b"\n" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))
    f.name = "x.csv"
    response = client.post("/targets/new/", {"file": f})
    assert response.status_code == 413 and "送信された内容が大きすぎます" in response.content.decode()
    assert list(tmp_path.iterdir()) == []


def test_a_large_body_to_any_other_api_is_413_in_the_one_error_shape(api, counter, settings):
    body = b'{"atena_no": "' + b"1" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + b'"}'
    response = api(counter).generic("POST", "/api/v1/targets/", body, content_type="application/json")
    assert response.status_code == 413
    assert set(response.json()) == {"detail", "errors", "request_id"}


def test_the_upload_views_still_take_their_own_size(api, other_counter, settings):
    numbers = [f"{300000000000000 + i:015d}" for i in range(200_000)]  # 3.8 MB of JSON
    assert len(json.dumps(numbers)) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = api(other_counter).post(BULK, {"atena_nos": numbers, "direction": "inquiry"}, format="json")
    assert response.status_code == 200
