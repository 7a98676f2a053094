"""In a real browser (issue 13, ADR 0046): a clerk registers a person with the standard
systems' 宛名番号 (a malformed one first: the error is tied to its input), finds the person by
that number on the 宛名番号 search screen, and sees it on the target page. axe-core on every
state visited."""
from playwright.sync_api import expect

from tests.e2e.axe import assert_no_axe_violations, install_axe
from tests.e2e.test_screens_flow import fill_intake
from victims.models import Target

ATENA = "510000000000001"
STANDARD = "520000000000001"


def test_a_clerk_registers_and_finds_a_person_by_the_standard_number(live_db, live_server, page, sign_in, counter):
    install_axe(page.context)
    sign_in(counter)
    fill_intake(page, ATENA)  # ends on the confirmation page: back to the form to add the number
    page.get_by_role("button", name="入力画面に戻って修正する").click()
    page.get_by_label("宛名番号（標準準拠システム）").fill("12345")
    page.get_by_role("button", name="確認へ進む").click()
    field = page.get_by_label("宛名番号（標準準拠システム）")
    expect(page.locator("#error-standard_atena_no")).to_contain_text("15桁の数字で入力してください")
    expect(field).to_have_attribute("aria-describedby", "error-standard_atena_no help-standard_atena_no")
    expect(page.locator("[data-error-summary]")).to_be_focused()  # the summary first, not BODY
    assert_no_axe_violations(page)
    field.fill(STANDARD)
    page.get_by_role("button", name="確認へ進む").click()
    expect(page.locator("main")).to_contain_text(STANDARD)
    assert_no_axe_violations(page)
    page.get_by_role("button", name="この内容で登録する").click()
    expect(page.get_by_role("status")).to_be_visible()  # the receipt: registered
    target = Target.objects.get(atena_no=ATENA)
    assert target.standard_atena_no == STANDARD

    page.goto(f"{live_server.url}/targets/search/")
    assert_no_axe_violations(page)
    page.get_by_label("宛名番号（団体内統合宛名番号または標準準拠システムの宛名番号）").fill(STANDARD)
    page.get_by_role("button", name="検索").click()
    page.get_by_role("link", name=f"設定対象者 No.{target.pk}（{ATENA}）を開く").wait_for()
    assert_no_axe_violations(page)
    page.get_by_role("link", name=f"設定対象者 No.{target.pk}（{ATENA}）を開く").click()
    expect(page.locator("main")).to_contain_text(STANDARD)
    assert_no_axe_violations(page)
