"""End to end in a real browser: register a ②-I person, approve with another person,
check at inquiry time from another department, see the desired flags."""
import re
import tempfile
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.axe import assert_no_axe_violations, install_axe
from victims.models import Target
from victims.services import change_request_approve

# Screenshots are left in the temp directory for a person to look at after the run.
SHOTS = Path(tempfile.gettempdir())

ATENA = "123456789012345"


def fill_intake(page, atena_no):
    page.get_by_role("link", name="設定対象者の登録").first.click()
    page.get_by_label("団体内統合宛名番号", exact=True).fill(atena_no)
    page.get_by_label("氏名", exact=True).fill("山田　花子")
    page.get_by_label("氏名（カナ）").fill("やまだ　はなこ")
    page.get_by_label("生年月日").fill("1990-04-01")
    page.get_by_label("配偶者等からの暴力（DV）").check()
    page.get_by_label("イ 加害者から避難している").check()
    page.get_by_label("本人の申出").check()
    page.locator("#id_case_2_1").check()
    page.get_by_label("マイナンバーカードを加害者の元に置いたまま避難した").check()
    page.get_by_label("マイナポータルの利用制限を説明した").check()
    page.get_by_label("カード・電子証明書の利用停止等の手続を説明した").check()
    page.get_by_role("button", name="確認へ進む").click()


def test_register_approve_check_and_see_flags(live_db, live_server, page, sign_in, counter, approver2, other_counter):
    install_axe(page.context)  # the new receipt and list screens are checked below
    sign_in(counter)
    fill_intake(page, "１２３４５６７８９０１２３４５")  # full-width, as typed at a Japanese counter
    expect(page.get_by_role("heading", name="承認後に必要となる措置")).to_be_visible()
    measures = page.locator("section.measures")
    expect(measures.locator("tr", has_text="不開示該当フラグ")).to_contain_text("設定する")
    expect(measures.locator("tr", has_text="自動応答不可フラグ")).to_contain_text("設定する")
    expect(measures.locator("tr", has_text="本人に関する情報照会時")).to_contain_text("必要")
    page.screenshot(path=SHOTS / "intake.png", full_page=True)
    assert not Target.objects.exists()  # confirming saves nothing
    page.get_by_role("button", name="この内容で登録する").click()
    # The completion screen is the receipt, whether or not the person was a target (ADR 0015);
    # the new target is in the department's own list.
    expect(page.get_by_role("status")).to_contain_text("申出を受け付けました")
    expect(page.get_by_role("heading", level=1)).to_contain_text("受付票")
    expect(page.locator("main")).to_contain_text("受付済")
    page.screenshot(path=SHOTS / "receipt.png", full_page=True)
    assert_no_axe_violations(page)
    page.get_by_role("link", name="所属の対象者一覧へ").click()
    assert_no_axe_violations(page)
    page.get_by_role("link", name=re.compile("設定対象者 No")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("登録承認待ち")

    sign_in(approver2)
    expect(page.locator(".tile", has_text="承認待ち")).to_contain_text("1件")
    page.get_by_role("navigation").get_by_role("link", name="承認待ち").click()
    expect(page.locator("section.request")).to_contain_text("counter1")
    page.screenshot(path=SHOTS / "queue.png", full_page=True)
    page.get_by_role("link", name="内容を確認して承認する").click()
    expect(page.locator("main")).to_contain_text("不開示該当フラグを設定")  # the confirmation restates it
    assert_no_axe_violations(page)
    page.get_by_role("button", name="この内容で承認する").click()
    expect(page.get_by_role("status")).to_contain_text("承認しました")

    # the approver opens the detail (each person signs in once: TOTP codes are single-use)
    page.get_by_role("navigation").get_by_role("link", name="宛名番号で検索").click()
    page.get_by_label("団体内統合宛名番号").fill(ATENA)
    page.get_by_role("button", name="検索").click()
    page.get_by_role("link", name=re.compile("を開く")).click()
    for kind in ("NONDISCLOSURE", "NO_AUTO_RESPONSE"):
        expect(page.locator(f'tr[data-flag="{kind}"] td.desired')).to_contain_text("ON")
    expect(page.get_by_role("heading", level=1)).to_contain_text("設定中")
    page.screenshot(path=SHOTS / "detail.png", full_page=True)

    sign_in(other_counter)  # 税務課
    page.get_by_role("navigation").get_by_role("link", name="照会時確認").click()
    page.get_by_label("団体内統合宛名番号").fill(ATENA)
    page.get_by_label("情報照会（この人について照会する）").check()
    page.get_by_role("button", name="確認する").click()
    expect(page.locator(".answer-yes")).to_have_text("不開示コードの設定が必要です")
    page.screenshot(path=SHOTS / "check.png", full_page=True)


def test_bad_intake_shows_the_japanese_error_next_to_the_field(live_db, live_server, page, sign_in, counter):
    sign_in(counter)
    fill_intake(page, "12345678901234")
    field = page.locator(".field", has=page.get_by_label("団体内統合宛名番号", exact=True))
    expect(field.locator(".field-error")).to_have_text("団体内統合宛名番号は15桁の数字で入力してください。")
    expect(page.get_by_label("団体内統合宛名番号", exact=True)).to_have_value("12345678901234")
    expect(page.locator(".error-summary")).to_be_visible()
    page.screenshot(path=SHOTS / "intake_error.png", full_page=True)
    assert not Target.objects.exists()


def test_no_inline_script_or_style_and_no_console_errors(live_db, live_server, page, sign_in, counter):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    sign_in(counter)
    for path in ("/", "/targets/new/", "/targets/search/", "/targets/shared/", "/flags/check/"):
        page.goto(live_server.url + path)
        assert page.locator("script:not([src])").count() == 0, path
        assert page.locator("[onclick], [onsubmit], [onchange], [style]").count() == 0, path
    assert errors == []  # a Content-Security-Policy violation would show here


def test_record_correction_from_request_to_done(live_db, live_server, page, sign_in, counter, approver, sysadmin,
                                                register):
    """The 追記 request on the target's page, the system admin's worklist and completion."""
    target, request = register(counter, name="追記　花子")
    change_request_approve(actor=approver, change_request_id=request.pk)

    sign_in(counter)
    page.goto(f"{live_server.url}/targets/{target.pk}/")
    page.get_by_role("button", name="不開示追記を依頼する").click()
    expect(page.get_by_role("status")).to_contain_text("システム管理者に依頼しました")
    expect(page.locator("#corrections")).to_contain_text("未完了")

    sign_in(sysadmin)
    page.goto(f"{live_server.url}/intermediary/")
    row = page.locator("#corrections tbody tr", has_text=target.atena_no)
    row.get_by_label("処理番号等").fill("中間-2026-0042")
    row.get_by_role("button", name="完了にする").click()
    expect(page.get_by_role("status")).to_contain_text("完了として記録しました")
    expect(page.locator("#corrections")).to_contain_text("未完了の依頼はありません")
    assert "花子" not in page.content()  # system admins see the atena_no, never the name
