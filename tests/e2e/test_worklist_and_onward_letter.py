"""In a real browser: the worklist filtered by case type and searched by kana (ADR 0038);
a 転出 設定依頼 issued from the target page, its printable letter opened and the receiving
municipality's confirmation recorded (ADR 0040). axe on every state visited."""
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import intake_payload
from tests.e2e.axe import assert_no_axe_violations, install_axe
from victims.intake import parse_intake
from victims.models import OnwardRequest
from victims.services import change_request_approve, target_register


def _register(actor, **overrides):
    return target_register(actor=actor, data=parse_intake(intake_payload(**overrides), today=timezone.localdate()))


def test_worklist_filter_and_search_then_an_onward_request_and_its_letter(live_db, live_server, page, sign_in,
                                                                         counter, approver):
    hanako, request = _register(counter, name="山田　花子", name_kana="ヤマダ　ハナコ")
    change_request_approve(actor=approver, change_request_id=request.pk)
    _register(counter, name="佐藤　太郎", name_kana="サトウ　タロウ",
                        cases=[{"type": "1-I", "abuser_atena_no": "299999999999992"}])
    install_axe(page.context)
    sign_in(counter)

    page.get_by_role("navigation").get_by_role("link", name="所属の対象者").click()
    results = page.locator("table.worklist")
    expect(results).to_contain_text("山田　花子")
    expect(results).to_contain_text("佐藤　太郎")
    assert_no_axe_violations(page)

    page.get_by_label("類型（有効なもの）").select_option("1-I")
    page.get_by_role("button", name="絞り込む").click()
    expect(results).to_contain_text("佐藤　太郎")
    expect(results).not_to_contain_text("山田　花子")
    assert "case_type=1-I" in page.url
    assert_no_axe_violations(page)

    page.get_by_role("link", name="条件をクリア").click()
    page.get_by_label("氏名または氏名（カナ）の一部").fill("やまだ")
    page.get_by_role("button", name="検索").click()
    expect(page.get_by_role("heading", name="検索結果")).to_be_visible()
    expect(results).to_contain_text("山田　花子")
    expect(results).not_to_contain_text("佐藤　太郎")
    assert "やまだ" not in page.url and "%E3%82%84" not in page.url  # the name never reaches a URL
    assert_no_axe_violations(page)

    results.get_by_role("link", name=f"設定対象者 No.{hanako.pk}").click()
    expect(page.locator("#onward")).to_contain_text("転出先の市区町村への設定依頼")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="設定依頼の一覧・新規作成へ").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("転出先の市区町村への設定依頼")
    assert_no_axe_violations(page)

    page.get_by_role("button", name="設定依頼を作成する").click()  # nothing filled in
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#error-municipality_name")).to_contain_text("転出先の市区町村名を入力してください")
    assert_no_axe_violations(page)

    page.get_by_label("転出先の市区町村名（例：〇〇県〇〇市）").fill("大阪府大阪市")
    page.get_by_label("転出日（予定日）").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="設定依頼を作成する").click()
    onward = OnwardRequest.objects.get(target=hanako)
    expect(page).to_have_title(f"設定依頼 settei-irai-{onward.pk} | DV等被害者 不開示設定管理")
    letter = page.locator("article.letter")
    expect(letter).to_contain_text("大阪府大阪市 御中")
    expect(letter).to_contain_text("本人の団体内統合宛名番号への不開示該当フラグ：設定が必要")
    expect(letter).not_to_contain_text(hanako.atena_no)
    expect(page.get_by_role("button", name="印刷")).to_be_visible()
    assert_no_axe_violations(page)

    page.get_by_role("link", name="設定依頼の一覧へ戻る").click()
    page.get_by_role("button", name=f"設定済みを記録（依頼No.{onward.pk}）").click()
    expect(page.get_by_role("status")).to_contain_text("転出先で設定済みであることを記録しました")
    expect(page.locator("main table").first).to_contain_text("設定済み（")
    assert_no_axe_violations(page)
