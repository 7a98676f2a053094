"""In a real browser, with axe-core on each state: the owner's counter asks to transfer a
target, the receiving department's head approves it from its queue and the target page names
the new owner (ADR 0034); a system admin sets a staff member's display name (ADR 0028); the
intake form's abuser inputs are labelled and a department without a head is warned (ADR 0035)."""
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Staff
from tests.e2e.axe import assert_no_axe_violations, install_axe
from victims.intake import parse_intake
from victims.models import Target
from victims.services import change_request_approve, target_register

from ..conftest import intake_payload


def test_a_transfer_asked_and_approved_on_screens(live_db, live_server, page, sign_in, counter, approver,
                                                   other_approver):
    target, change_request = target_register(actor=counter, data=parse_intake(intake_payload(),
                                                                               today=timezone.localdate()))
    change_request_approve(actor=approver, change_request_id=change_request.pk)
    install_axe(page.context)
    sign_in(counter)
    page.goto(f"{live_server.url}/targets/{target.pk}/")
    page.get_by_role("link", name="所管の移管を申請する").click()
    assert_no_axe_violations(page)
    page.get_by_label("移管先の所属").select_option("zeimu")
    page.get_by_role("button", name="移管を申請する").click()
    expect(page.locator("#error-reason")).to_contain_text("移管の理由を入力してください")
    assert_no_axe_violations(page)
    page.get_by_label("移管先の所属").select_option("zeimu")
    page.get_by_label("移管の理由").fill("転居に伴い税務課で対応を継続するため")
    page.get_by_role("button", name="移管を申請する").click()
    expect(page.locator("main")).to_contain_text("所管の移管を申請しました")
    assert_no_axe_violations(page)

    sign_in(other_approver)
    expect(page.locator("main")).to_contain_text("承認待ち 1件")
    page.goto(f"{live_server.url}/flags/approvals/")
    expect(page.locator("main")).to_contain_text("子ども家庭支援課 → 税務課")
    assert_no_axe_violations(page)
    page.get_by_role("link", name=f"設定対象者 No.{target.pk}").click()
    expect(page.locator("#deciding-only")).to_be_visible()
    assert_no_axe_violations(page)
    page.goto(f"{live_server.url}/flags/approvals/")
    page.get_by_role("link", name="決裁票").first.click()
    expect(page.locator("main")).to_contain_text("設定対象者の所管の移管")
    assert_no_axe_violations(page)
    page.goto(f"{live_server.url}/flags/approvals/")
    page.get_by_role("link", name="内容を確認して承認する").click()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="この内容で承認する").click()
    assert_no_axe_violations(page)
    page.goto(f"{live_server.url}/targets/{target.pk}/")
    expect(page.locator("main")).to_contain_text("税務課")
    expect(page.locator("#grants")).to_contain_text("子ども家庭支援課")
    assert_no_axe_violations(page)
    page.locator("#grants").get_by_role("link", name="決裁票").first.click()
    expect(page.locator("main")).to_contain_text("他の所属への閲覧の許可")
    assert_no_axe_violations(page)
    assert Target.objects.get(pk=target.pk).owning_department.code == "zeimu"


def test_an_admin_sets_a_display_name(live_db, live_server, page, sign_in, sysadmin, approver):
    install_axe(page.context)
    sign_in(sysadmin)
    expect(page.locator("#without-approver")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="職員の表示名（決裁票に印字される氏名）").click()
    assert_no_axe_violations(page)
    page.get_by_role("link", name=f"表示名を変更（{approver.username}）").click()
    assert_no_axe_violations(page)
    page.get_by_label("表示名（氏名）").fill("子ども　花子")
    page.get_by_role("button", name="保存する").click()
    expect(page.locator("main")).to_contain_text("子ども　花子")
    assert_no_axe_violations(page)
    assert Staff.objects.get(pk=approver.pk).display_name == "子ども　花子"


def test_the_intake_form_labels_abusers_and_warns_of_no_approver(live_db, live_server, page, sign_in,
                                                                  nonlinkage_counter):
    install_axe(page.context)
    sign_in(nonlinkage_counter)
    page.goto(f"{live_server.url}/targets/new/")
    expect(page.locator("#approver-routing")).to_contain_text("この所属には承認者（所属長）がいません")
    expect(page.get_by_label("加害者1の団体内統合宛名番号")).to_be_visible()
    assert_no_axe_violations(page)
