"""Names and birth dates never reach audit details or application logs."""
import logging

from rest_framework.test import APIClient

from audit.models import AuditEvent
from checks import selectors
from tests.conftest import register_via_api, verify_second_factor
from tests.json_log_capture import json_logs
from victims import services
from victims.selectors import target_get_for_user, target_search_by_atena, target_shared_list

CANARY_NAME = "カナリア\u3000ミツコ"
CANARY_KANA = "カナリア\u3000ミツコ"
CANARY_BIRTH = "1987-06-05"
CANARY_ATENA = "987650000012345"


def test_canaries_do_not_leak(counter, approver, other_counter, register, caplog):
    caplog.set_level(logging.DEBUG)
    target, cr = register(counter, name=CANARY_NAME, name_kana=CANARY_KANA, birth_date=CANARY_BIRTH)
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    target_get_for_user(actor=counter, target_id=target.pk)
    target_search_by_atena(actor=counter, atena_no=target.atena_no)
    target_shared_list(actor=other_counter)
    selectors.inquiry_check(actor=other_counter, atena_no=target.atena_no, direction="inquiry")
    dump = "\n".join(str(e) for e in AuditEvent.objects.values()) + caplog.text
    for canary in ("カナリア", "1987-06-05", "1987, 6, 5"):
        assert canary not in dump
    assert AuditEvent.objects.filter(action="target.read", target_id=target.pk).exists()


def test_canaries_do_not_reach_the_json_logs(web, counter, approver, other_counter):
    """The production format (LOG_FORMAT=json, ADR 0066) over real requests: registration,
    approval, the owner's reads, another department's check, shared list and refused read. Every
    line is JSON with the caller's ids; no name, kana, birth date or 宛名番号 is in any line."""
    api = APIClient()
    api.force_login(counter)
    verify_second_factor(api, counter)
    with json_logs() as log:
        registered = register_via_api(api, name=CANARY_NAME, name_kana=CANARY_KANA, birth_date=CANARY_BIRTH,
                                      atena_no=CANARY_ATENA)
        services.change_request_approve(actor=approver, change_request_id=registered["change_request"]["id"])
        owner = web(counter)
        assert owner.get(f"/targets/{registered['id']}/").status_code == 200
        assert owner.post("/targets/search/", {"atena_no": CANARY_ATENA}).status_code in (200, 302)
        other = web(other_counter)
        assert other.post("/flags/check/", {"atena_no": CANARY_ATENA, "direction": "inquiry"}).status_code == 200
        assert other.get("/targets/shared/").status_code == 200
        assert other.get(f"/targets/{registered['id']}/").status_code == 404
    lines = log.lines
    assert any(line["user_id"] == str(other_counter.pk) for line in lines), lines
    for canary in ("カナリア", "ミツコ", CANARY_BIRTH, "1987, 6, 5", "19870605", CANARY_ATENA):
        assert canary not in log.text, canary
