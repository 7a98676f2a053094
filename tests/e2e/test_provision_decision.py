"""Manual-provision decisions in a real browser (ADR 0036, 0037): the contact point's clerk
records one on the form (宛名番号 by POST, never in a URL; a 開示 choice does not exist and an
empty one is refused next to the field), its head approves it from the list, the approved
decision says the record must carry 不開示 and the inquirer is told the information needs
care, the 決裁票 opens, and the owning department sees it on the person's page. axe runs on
every state visited."""
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from accounts.services import department_create
from tests.conftest import intake_payload
from tests.e2e.axe import assert_no_axe_violations, install_axe
from victims.intake import parse_intake
from victims.models import ProvisionDecision
from victims.services import change_request_approve, target_register


def test_contact_point_records_and_its_head_approves(live_db, live_server, page, sign_in, counter, approver,
                                                    make_staff):
    department_create(actor=None, code="renkei", name="情報連携推進課", does_linkage=True, contact_point=True)
    clerk = make_staff("renkei1", "renkei", Role.COUNTER)
    head = make_staff("renkei_head", "renkei", Role.APPROVER)
    target, cr = target_register(actor=counter, data=parse_intake(intake_payload(), today=timezone.localdate()))
    change_request_approve(actor=approver, change_request_id=cr.pk)
    install_axe(page.context)
    urls = []
    page.on("request", lambda request: urls.append(request.url))

    sign_in(clerk)
    page.get_by_role("link", name="手動提供の判断").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("手動提供の判断")
    assert_no_axe_violations(page)  # the empty list
    page.get_by_role("link", name="新しい判断を記録する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("手動提供の判断の記録")
    assert_no_axe_violations(page)  # the empty form

    page.get_by_label("団体内統合宛名番号").fill(target.atena_no)
    page.get_by_label("照会機関名").fill("○○市 子ども家庭課")
    page.get_by_label("特定個人情報名コード").fill("TM00000000000003")
    page.get_by_label("照会の受付日時").fill(timezone.localtime().strftime("%Y-%m-%dT00:00"))
    page.get_by_label("提供する（手動で提供）").check()
    page.get_by_label("判断の理由・確認した事項").fill("照会者は加害者ではないことを確認")
    # Untick 不開示 (the only choice) to see the refusal tied to its group.
    page.evaluate("document.querySelectorAll('input[name=disclosure]').forEach(e => e.checked = false)")
    page.get_by_role("button", name="記録する（承認を申請）").click()
    expect(page.locator("#error-disclosure")).to_contain_text("「不開示」としてください")
    assert_no_axe_violations(page)  # the form with an error
    page.get_by_label("不開示", exact=True).check()
    page.get_by_role("button", name="記録する（承認を申請）").click()
    decision = ProvisionDecision.objects.get()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"手動提供の判断 No.{decision.pk}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("承認待ち")
    expect(page.get_by_role("button", name="承認する")).to_have_count(0)  # four eyes: not the one who recorded
    assert_no_axe_violations(page)  # the pending decision, for its clerk

    sign_in(head)
    expect(page.locator("main .tile", has_text="手動提供の判断")).to_contain_text("承認待ち 1件")
    assert_no_axe_violations(page)  # the head's home page with the pending count
    page.get_by_role("link", name="手動提供の判断").first.click()
    page.get_by_role("link", name=f"判断 No.{decision.pk}").click()
    assert_no_axe_violations(page)  # the pending decision, for the head
    page.get_by_role("button", name="承認する").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("承認済み")
    expect(page.get_by_role("heading", name="承認済み：必ず行うこと")).to_be_visible()
    expect(page.locator("main")).to_contain_text("必ず「不開示」")
    expect(page.locator("main")).to_contain_text("取扱いに特に注意を要する")
    assert_no_axe_violations(page)  # the approved decision
    page.get_by_role("link", name=f"決裁票（判断 No.{decision.pk}）").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("決裁票")
    expect(page).to_have_title(f"決裁票 kessai-provision-{decision.pk} | DV等被害者 不開示設定管理")
    assert_no_axe_violations(page)  # the slip

    sign_in(counter)
    page.goto(f"{live_server.url}/targets/{target.pk}/")
    section = page.locator("#provision-decisions")
    expect(section).to_contain_text("承認済み")
    expect(section).to_contain_text("○○市 子ども家庭課")
    assert_no_axe_violations(page)  # the owner's target page with the decision
    assert not [url for url in urls if target.atena_no in url]  # the number never went into a URL
    assert ProvisionDecision.objects.get().status == "approved"
