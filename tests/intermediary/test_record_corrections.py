"""不開示 追記 of earlier 情報提供等記録 tracked as a task (DOMAIN.md §3): the owning department
asks, a system admin records it done with the server's reference; audited; no names shown
to system admins."""
import pytest
from django.test import Client

from audit.models import AuditEvent
from audit.selectors import who_has_seen
from core.errors import DomainError, Forbidden, NotFound
from intermediary.corrections import correction_complete, corrections_open
from intermediary.models import CorrectionStatus, RecordCorrection
from tests.conftest import VerifiedClient
from victims import services as flag_services
from victims.services import correction_request

NAME = "追記　テスト子"


@pytest.fixture
def target(counter, approver, register):
    target, cr = register(counter, name=NAME)
    flag_services.change_request_approve(actor=approver, change_request_id=cr.pk)
    return target


def test_request_then_complete_is_tracked_and_audited(target, counter, sysadmin, auditor):
    correction = correction_request(actor=counter, target_id=target.pk)
    assert (correction.status, correction.atena_no) == (CorrectionStatus.OPEN, target.atena_no)
    worklist = corrections_open(actor=sysadmin)
    assert [(c["id"], c["atena_no"]) for c in worklist] == [(correction.pk, target.atena_no)]
    assert NAME not in repr(worklist)
    listed = AuditEvent.objects.filter(action="correction.list").latest("id")
    assert listed.detail == {"count": 1, "target_ids": [target.pk]}
    assert listed in who_has_seen(actor=auditor, target_id=target.pk)  # the auditor sees the admin's look
    done = correction_complete(actor=sysadmin, correction_id=correction.pk, reference=" 中間-2026-0042 ")
    assert (done.status, done.done_by, done.reference) == (CorrectionStatus.DONE, sysadmin, "中間-2026-0042")
    assert corrections_open(actor=sysadmin) == []
    actions = list(AuditEvent.objects.filter(target_id=target.pk, action__startswith="correction.")
                   .values_list("action", "actor_username"))
    assert actions == [("correction.request", counter.username), ("correction.complete", sysadmin.username)]
    # A new request is possible once the earlier one is done (e.g. records found later).
    assert correction_request(actor=counter, target_id=target.pk).status == CorrectionStatus.OPEN


def test_one_open_request_per_target(target, counter, approver):
    correction_request(actor=counter, target_id=target.pk)
    with pytest.raises(DomainError, match="既に登録"):
        correction_request(actor=approver, target_id=target.pk)
    assert RecordCorrection.objects.filter(target=target).count() == 1


def test_only_the_departments_that_see_the_target_may_ask(target, other_counter, nonlinkage_counter, sysadmin,
                                                          auditor):
    for outsider in (other_counter, nonlinkage_counter, sysadmin, auditor):
        with pytest.raises(NotFound):
            correction_request(actor=outsider, target_id=target.pk)
    assert not RecordCorrection.objects.exists()


def test_a_released_target_needs_no_request(target, counter, approver):
    release = flag_services.release_request_create(actor=counter, target_id=target.pk, reason="wish", case_ids=None)
    flag_services.change_request_approve(actor=approver, change_request_id=release.pk)
    with pytest.raises(DomainError, match="設定中または登録承認待ち"):
        correction_request(actor=counter, target_id=target.pk)


def test_only_a_system_admin_completes_and_only_with_a_reference(target, counter, approver, sysadmin):
    correction = correction_request(actor=counter, target_id=target.pk)
    for staff in (counter, approver):
        with pytest.raises(Forbidden):
            correction_complete(actor=staff, correction_id=correction.pk, reference="X-1")
    for reference in ("", "   ", "x" * 101):
        with pytest.raises(DomainError) as exc:
            correction_complete(actor=sysadmin, correction_id=correction.pk, reference=reference)
        assert exc.value.field == "reference"
    correction_complete(actor=sysadmin, correction_id=correction.pk, reference="X-1")
    with pytest.raises(DomainError, match="既に完了"):
        correction_complete(actor=sysadmin, correction_id=correction.pk, reference="X-2")
    with pytest.raises(NotFound):
        correction_complete(actor=sysadmin, correction_id=correction.pk + 1000, reference="X-3")
    correction.refresh_from_db()
    assert correction.reference == "X-1"


def section(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    return html[start:html.index("</section>", start)]


def test_screens_from_request_to_done(target, counter, sysadmin, login):
    clerk, admin = login(counter), login(sysadmin)
    detail = f"/targets/{target.pk}/"
    assert "不開示追記を依頼する" in clerk.get(detail).content.decode()
    response = clerk.post(f"/targets/{target.pk}/corrections/", follow=True)
    page = response.content.decode()
    assert "システム管理者に依頼しました" in page
    shown = section(page, "corrections")
    assert "<td>未完了</td>" in shown and "不開示追記を依頼する" not in shown

    monitor = admin.get("/intermediary/").content.decode()
    assert target.atena_no in section(monitor, "corrections") and NAME not in monitor
    correction = RecordCorrection.objects.get(target=target)
    refused = admin.post(f"/intermediary/corrections/{correction.pk}/complete/", {"reference": ""}, follow=True)
    assert "処理番号等を100文字以内で入力してください" in refused.content.decode()
    admin.post(f"/intermediary/corrections/{correction.pk}/complete/", {"reference": "中間-77"})
    shown = section(clerk.get(detail).content.decode(), "corrections")
    assert "<td>完了</td>" in shown and "中間-77" in shown and "不開示追記を依頼する" in shown
    assert "未完了の依頼はありません" in section(admin.get("/intermediary/").content.decode(), "corrections")


@pytest.fixture
def login():
    def do(staff) -> Client:
        client = VerifiedClient()
        client.force_login(staff)
        return client
    return do
