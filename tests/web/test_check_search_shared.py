"""Inquiry-time check (yes/no, never why), exact search, shared minimal list, notices."""
import pytest

from audit.actions import AuditAction
from audit.selectors import who_has_seen
from victims import services
from victims.models import Target

from .conftest import field_error

pytestmark = pytest.mark.django_db

REQUIRED = "不開示コードの設定が必要です"
NOT_REQUIRED = "不開示コードの設定は不要です"


def check(client, atena_no, direction="inquiry"):
    return client.post("/flags/check/", {"atena_no": atena_no, "direction": direction})


def test_check_answers_required_for_pending_and_approved_and_not_for_unknown(
        login, counter, approver, other_counter, register):
    pending, _ = register(counter)
    approved, cr = register(counter)
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    client = login(other_counter)  # 税務課: a linkage department that does not own them
    assert REQUIRED in check(client, pending.atena_no).content.decode()
    assert REQUIRED in check(client, approved.atena_no, "provision").content.decode()
    unknown = check(client, "999999999999999").content.decode()
    assert NOT_REQUIRED in unknown and REQUIRED not in unknown


def test_check_never_says_why(login, counter, approver, other_counter, register):
    target, cr = register(counter, cases=[{"type": "1-I", "abuser_atena_no": "200000000000009"}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    html = check(login(other_counter), "２００ ０００ ０００ ０００ ００９").content.decode()  # full width, spaces
    assert REQUIRED in html
    # The id as a link or a cell; a bare str(pk) would match any digit on the page (pk 1 on a fresh database).
    for secret in ("加害者", "①-I", "山田", f"/targets/{target.pk}/", f">{target.pk}<"):
        assert secret not in html.split("<main")[1]


def test_check_rejects_a_malformed_atena_no_next_to_the_field(login, other_counter):
    response = check(login(other_counter), "12345")
    assert response.status_code == 400
    assert field_error(response, "atena_no") == "団体内統合宛名番号は15桁の数字で入力してください。"
    assert REQUIRED not in response.content.decode() and NOT_REQUIRED not in response.content.decode()


def test_non_linkage_department_cannot_check(login, nonlinkage_counter, counter, register):
    target, _ = register(counter)
    assert check(login(nonlinkage_counter), target.atena_no).status_code == 403


def test_search_finds_own_target_and_hides_others(login, counter, other_counter, register):
    mine, _ = register(counter)
    theirs, _ = register(other_counter)
    client = login(counter)
    found = client.post("/targets/search/", {"atena_no": mine.atena_no}).content.decode()
    assert f'href="/targets/{mine.pk}/"' in found
    hidden = client.post("/targets/search/", {"atena_no": theirs.atena_no}).content.decode()
    assert "該当なし" in hidden and f"/targets/{theirs.pk}/" not in hidden
    absent = client.post("/targets/search/", {"atena_no": "999999999999999"}).content.decode()
    assert "該当なし" in absent
    bad = client.post("/targets/search/", {"atena_no": "abc"})
    assert field_error(bad, "atena_no") == "団体内統合宛名番号は15桁の数字で入力してください。"


def test_shared_list_shows_only_name_atena_and_target(login, counter, other_counter, register):
    target, _ = register(counter,
                         cases=[{"type": "1-I", "abuser_atena_no": "200000000000010", "abuser_name": "加害　太郎"}],
                         notes="秘密のメモ")
    html = login(other_counter).get("/targets/shared/").content.decode()
    assert "山田　花子" in html and target.atena_no in html and "該当" in html
    for secret in ("200000000000010", "加害　太郎", "秘密のメモ", "①-I", f"/targets/{target.pk}/"):
        assert secret not in html


def test_release_notice_appears_on_linkage_home(login, counter, approver, approver2, other_counter, auditor, register):
    target, cr = register(counter, cases=[{"type": "1-I", "abuser_atena_no": "200000000000011"}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    release = services.release_request_create(actor=counter, target_id=target.pk, reason="wish", case_ids=None)
    services.change_request_approve(actor=approver2, change_request_id=release.pk)
    html = login(other_counter).get("/").content.decode()
    assert target.atena_no in html and "設定対象者から外れました" in html
    # The notice showed the person's number: who-has-seen names the linkage clerk's look.
    seen = [(e.actor_id, e.action) for e in who_has_seen(actor=auditor, target_id=target.pk)]
    assert (other_counter.pk, AuditAction.NOTICE_LIST) in seen
    other_sees = login(other_counter).get("/targets/shared/").content.decode()
    assert Target.objects.get(pk=target.pk).atena_no not in other_sees
