"""Names and birth dates never reach audit details or application logs."""
import logging

from audit.models import AuditEvent
from checks import selectors
from victims import services
from victims.selectors import target_get_for_user, target_search_by_atena, target_shared_list

CANARY_NAME = "カナリア\u3000ミツコ"
CANARY_KANA = "カナリア\u3000ミツコ"
CANARY_BIRTH = "1987-06-05"


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
