"""In a real browser (issue 12, ADR 0048/0049), with the idle timeout shortened to 8 seconds:
the warning appears before it, 「ログインを継続する」 keeps the session; left alone, the session
times out while the clerk types, the submit lands on the login screen, and after logging in
again the intake offers the kept input and restores it. axe-core on every state visited:
the intake with the warning, the warning after 継続, the timed-out warning, the login screen
after the timeout, the offer, the
restored form. Also the skip link (first Tab) and a release request with errors (its summary
takes focus, its link lands on the field)."""
from playwright.sync_api import expect

from tests.e2e.axe import assert_no_axe_violations, install_axe
from victims import services
from victims.models import IntakeDraft

NAME = "山田　花子"


def test_the_warning_keeps_the_session_and_a_timed_out_intake_is_restored(live_db, live_server, page, sign_in,
                                                                          counter, settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 8
    settings.SESSION_IDLE_WARNING_SECONDS = 5  # the warning 3 seconds after a page loads
    install_axe(page.context)
    sign_in(counter)
    page.get_by_role("link", name="設定対象者の登録").first.click()
    page.get_by_label("団体内統合宛名番号", exact=True).fill("530000000000001")
    page.get_by_label("氏名", exact=True).fill(NAME)
    warning = page.get_by_role("alertdialog", name="まもなく自動的にログアウトします")
    expect(warning).to_be_visible(timeout=10_000)
    keep = warning.get_by_role("button", name="ログインを継続する")
    expect(keep).to_be_focused()
    assert_no_axe_violations(page)

    keep.click()
    expect(warning).to_be_hidden()
    expect(page.get_by_label("氏名", exact=True)).to_have_value(NAME)  # nothing reloaded
    assert_no_axe_violations(page)

    # Left alone this time: the warning comes back, then says the session has ended.
    expect(warning.get_by_text("ログアウトしました")).to_be_visible(timeout=20_000)
    assert_no_axe_violations(page)
    page.get_by_role("button", name="確認へ進む").click()
    page.wait_for_url(lambda url: "/login/" in url)
    expect(page.get_by_text("自動的にログアウトしました")).to_be_visible()
    assert_no_axe_violations(page)
    assert IntakeDraft.objects.filter(staff=counter).exists()

    settings.SESSION_IDLE_TIMEOUT_SECONDS = 15 * 60
    sign_in(counter)
    page.get_by_role("link", name="設定対象者の登録").first.click()
    expect(page.get_by_role("heading", name="前回の入力が残っています")).to_be_visible()
    expect(page.get_by_label("氏名", exact=True)).to_have_value("")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="前回の入力を復元").click()
    expect(page.get_by_label("氏名", exact=True)).to_have_value(NAME)
    expect(page.get_by_label("団体内統合宛名番号", exact=True)).to_have_value("530000000000001")
    expect(page.get_by_text("前回の入力を復元しました")).to_be_visible()
    assert_no_axe_violations(page)


def test_the_first_tab_reaches_the_skip_link_and_it_leads_to_the_content(live_db, live_server, page, sign_in,
                                                                         counter):
    install_axe(page.context)
    sign_in(counter)
    page.goto(live_server.url + "/targets/new/")  # loaded before the first key press
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="本文へスキップ")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # visible on focus, not only to screen readers
    assert_no_axe_violations(page)
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is in the content, not the menu
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_a_release_request_with_errors_opens_on_its_error_summary(live_db, live_server, page, sign_in, counter,
                                                                  approver, register):
    target, cr = register(counter)
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    install_axe(page.context)
    sign_in(counter)
    page.goto(f"{live_server.url}/targets/{target.pk}/")
    page.get_by_role("button", name="解除を申請する").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()  # not BODY, 2,000 px above the message
    expect(summary).to_be_in_viewport()
    expect(summary).to_contain_text("解除理由を選択してください")
    assert_no_axe_violations(page)
    summary.get_by_role("link", name="解除理由：解除理由を選択してください。").click()
    expect(page.locator("#id_reason_0")).to_be_focused()
