"""Sync monitor: login + sysadmin role on every URL (deny by default); ids only, no names."""
import uuid

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from audit.selectors import who_has_seen
from intermediary import services
from intermediary.models import Alert, Batch, InfoCodeChangeRequest, Operation
from intermediary.people_shown import target_ids_for_units
from intermediary.urls import urlpatterns
from victims import services as flag_services

ARGS = {"pk": "1"}


def all_urls():
    out = []
    for p in urlpatterns:
        pk = str(uuid.uuid4()) if p.name in ("batch", "operation_retry") else "1"
        kwargs = {"pk": pk} if "<" in str(p.pattern) else {}
        out.append(reverse(f"intermediary:{p.name}", kwargs=kwargs))
    return out


@pytest.fixture
def failed_op(counter, approver, register):
    target, cr = register(counter, name="山田　花子", name_kana="ヤマダ　ハナコ")
    flag_services.change_request_approve(actor=approver, change_request_id=cr.pk)
    op = Operation.objects.filter(unit_key=target.atena_no).first()
    Operation.objects.filter(pk=op.pk).update(status="dead", attempts=8, last_error_code="E503")
    return target, op


def test_anonymous_is_sent_to_login(client, db):
    for url in all_urls():
        resp = client.get(url)
        assert resp.status_code in (302, 405), url
        if resp.status_code == 302:
            assert reverse("accounts:login") in resp["Location"]


@pytest.mark.parametrize("who", ["counter", "approver", "auditor"])
def test_every_url_denies_other_roles(db, client, who, request):
    user = request.getfixturevalue(who)
    client.force_login(user)
    for url in all_urls():
        assert client.get(url).status_code in (403, 405), url
        assert client.post(url).status_code in (403, 405), url


def test_sysadmin_sees_states_ids_and_no_names(client, sysadmin, failed_op):
    target, op = failed_op
    client.force_login(sysadmin)
    resp = client.get(reverse("intermediary:monitor"))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert target.atena_no in html and str(op.pk) in html
    assert "山田" not in html and "ヤマダ" not in html
    # The web service (the default channel) has no reflection windows to show (issue 12).
    assert "次の反映時刻" not in html and "最も古い未反映の操作" in html


def test_retry_from_the_screen(client, sysadmin, failed_op):
    _, op = failed_op
    client.force_login(sysadmin)
    resp = client.post(reverse("intermediary:operation_retry", kwargs={"pk": op.pk}))
    assert resp.status_code == 302
    op.refresh_from_db()
    assert op.status == "pending" and op.attempts == 0


def test_mismatch_resend_from_the_screen(client, sysadmin, failed_op):
    target, _ = failed_op
    Operation.objects.update(status="reflected")
    [alert, *_] = services.reconcile(listing={}, now=services.clock.now())
    client.force_login(sysadmin)
    assert f"alert-{alert.pk}" in client.get(reverse("intermediary:monitor")).content.decode()
    client.post(reverse("intermediary:alert_resend", kwargs={"pk": alert.pk}))
    assert Alert.objects.get(pk=alert.pk).resolved_by == sysadmin
    assert Operation.objects.filter(unit_key=target.atena_no, status="pending").count() == 1


def test_info_code_four_eyes_on_the_screen(client, sysadmin, make_staff):
    other = make_staff("sysadmin2", "johosys", "sysadmin")
    client.force_login(sysadmin)
    client.post(reverse("intermediary:info_code_request_create"),
                {"info_code": "TM00000000000003", "flag_kind": "NONDISCLOSURE", "action": "set",
                 "reason": "誤った副本"})
    req = InfoCodeChangeRequest.objects.get()
    client.post(reverse("intermediary:info_code_request_approve", kwargs={"pk": req.pk}))
    assert InfoCodeChangeRequest.objects.get().status == "pending"  # own request: refused
    client.force_login(other)
    client.post(reverse("intermediary:info_code_request_approve", kwargs={"pk": req.pk}))
    assert InfoCodeChangeRequest.objects.get().status == "approved"
    assert Operation.objects.filter(unit_type="info_code", unit_key="TM00000000000003").exists()


def test_batch_detail_shows_per_record_results(client, sysadmin, failed_op):
    _, op = failed_op
    batch = Batch.objects.create(flag_kind=op.flag_kind, window_at=services.clock.now(), name="FLAG_X.xml",
                                 reception_number="1", created_at=services.clock.now(), status="resulted")
    Operation.objects.filter(pk=op.pk).update(batch=batch, record_no=1)
    client.force_login(sysadmin)
    html = client.get(reverse("intermediary:batch", kwargs={"pk": batch.pk})).content.decode()
    assert str(op.pk) in html and "E503" in html
    assert client.get(reverse("intermediary:batch", kwargs={"pk": uuid.uuid4()})).status_code == 404
    assert client.get(reverse("intermediary:batch", kwargs={"pk": "nope"})).status_code == 404


def _last_event(action):
    return AuditEvent.objects.filter(action=action).latest("id")


def test_the_monitor_names_the_people_whose_numbers_it_shows(client, sysadmin, auditor, failed_op, counter,
                                                              approver, register):
    """Item 8 of issue 10: the failing operation's atena_no is on the screen, so the view's
    event carries the target id and "who has seen this person" lists the system admin."""
    target, _ = failed_op
    bystander, cr = register(counter)  # reflected, not on the screen
    flag_services.change_request_approve(actor=approver, change_request_id=cr.pk)
    Operation.objects.filter(unit_key=bystander.atena_no).update(status="reflected")
    client.force_login(sysadmin)
    assert target.atena_no in client.get(reverse("intermediary:monitor")).content.decode()
    event = _last_event("intermediary.monitor_view")
    assert event.detail["target_ids"] == [target.pk] and event.actor_username == sysadmin.username
    assert event in who_has_seen(actor=auditor, target_id=target.pk)
    assert event not in who_has_seen(actor=auditor, target_id=bystander.pk)


def test_a_mismatch_alert_on_the_monitor_names_its_person(client, sysadmin, auditor, failed_op):
    target, _ = failed_op
    Operation.objects.update(status="reflected")  # nothing failing: only the alert shows the number
    services.reconcile(listing={}, now=services.clock.now())
    client.force_login(sysadmin)
    client.get(reverse("intermediary:monitor"))
    event = _last_event("intermediary.monitor_view")
    assert event.detail["target_ids"] == [target.pk]
    assert event in who_has_seen(actor=auditor, target_id=target.pk)


def test_the_batch_detail_names_the_people_of_its_records(client, sysadmin, auditor, failed_op):
    target, op = failed_op
    batch = Batch.objects.create(flag_kind=op.flag_kind, window_at=services.clock.now(), name="FLAG_Y.xml",
                                 reception_number="1", created_at=services.clock.now(), status="resulted")
    Operation.objects.filter(pk=op.pk).update(batch=batch, record_no=1)
    client.force_login(sysadmin)
    assert target.atena_no in client.get(reverse("intermediary:batch", kwargs={"pk": batch.pk})).content.decode()
    event = _last_event("intermediary.batch_view")
    assert event.detail == {"batch_id": str(batch.pk), "target_ids": [target.pk]}
    assert event in who_has_seen(actor=auditor, target_id=target.pk)


def test_info_code_units_are_not_people(db):
    assert target_ids_for_units([("info_code", "TM00000000000003"), ("atena", "")]) == []
