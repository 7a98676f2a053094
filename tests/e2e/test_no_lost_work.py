"""In a real browser (issue 12, ADR 0048/0049), with the idle timeout shortened to 8 seconds:
the warning appears before it, 「ログインを継続する」 keeps the session; left alone, the session
times out while the clerk types, the submit lands on the login screen, and after logging in
again the intake offers the kept input and restores it. axe-core on every state visited:
the intake with the warning, the warning after 継続, the timed-out warning, the offer, the
restored form."""
from playwright.sync_api import expect

from tests.e2e.axe import assert_no_axe_violations, install_axe
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
    page.get_by_role("link", name="設定対象者の登録").first.click()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="本文へスキップ")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # visible on focus, not only to screen readers
    assert_no_axe_violations(page)
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is in the content, not the menu
    assert page.evaluate("document.activeElement.closest('main') !== null")
