"""Intake screen: 入力 → 確認 (measures) → 登録; errors next to the fields, nothing saved."""
import html
import re

import pytest

from flags.models import ChangeRequest, ChangeStatus
from tests.conftest import born_aged
from victims.models import Registration, Target, TargetStatus

from .conftest import field_error, form_data

pytestmark = pytest.mark.django_db


def confirm(client, **overrides):
    return client.post("/targets/new/", {**form_data(**overrides), "step": "confirm"})


def hidden_fields(response) -> list[tuple[str, str]]:
    return [(k, html.unescape(v)) for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">',
                                                        response.content.decode()) if k != "csrfmiddlewaretoken"]


def register_from(client, confirm_page):
    data = {}
    for key, value in hidden_fields(confirm_page):
        data.setdefault(key, []).append(value)
    return client.post("/targets/new/", {**data, "step": "register"})


def test_form_walks_the_facts_cases_and_explanations(login, counter):
    page = login(counter).get("/targets/new/").content.decode()
    for text in ("ア 被害の種類", "イ 加害者から避難している", "ウ 設定の根拠", "住基DV等支援措置",
                 "①-I", "②-I", "②-II", "マイナンバーカードコールセンター", "代理人設定を解除"):
        assert text in page
    assert not re.findall(r"<script(?![^>]*\bsrc=)", page)  # no inline script: the CSP will forbid it


def test_2_I_confirm_shows_both_flags_and_code_then_registers(login, counter):
    client = login(counter)
    page = confirm(client, atena_no="１２３４５６７８９０１２３４５")  # full-width digits from the counter
    assert page.status_code == 200
    body = page.content.decode()
    assert "まだ登録されていません" in body
    cell = "（本人の団体内統合宛名番号 123456789012345）</th>\n          <td><span class=\"badge on\">設定する"
    assert "不開示該当フラグ" + cell in body
    assert "自動応答不可フラグ" + cell in body
    assert "ヤマダ　ハナコ" in body  # kana normalised before confirmation
    assert Target.objects.count() == 0

    done = register_from(client, page)
    target = Target.objects.get(atena_no="123456789012345")
    receipt = Registration.objects.get(created_target=target)
    # The completion screen is the receipt, as for a person who is a target already (ADR 0015).
    assert done.status_code == 302 and done["Location"] == f"/targets/registrations/{receipt.pk}/"
    assert target.status == TargetStatus.PENDING and target.owning_department == counter.department
    assert target.explained_mynaportal and target.explained_card_suspension and not target.explained_jumin
    assert [c.case_type for c in target.cases.all()] == ["2-I"]
    assert ChangeRequest.objects.get(target=target).status == ChangeStatus.PENDING
    shown = client.get(done["Location"]).content.decode()
    assert "申出を受け付けました" in shown and "受付済" in shown and "123456789012345" in shown
    assert 'href="/targets/worklist/"' in shown  # on to the department's worklist
    assert f'href="/targets/{target.pk}/"' in client.get("/targets/worklist/").content.decode()


def test_1_I_confirm_shows_code_on_abuser_and_no_flags(login, counter):
    page = confirm(login(counter), case_2_1=None, card_left=None, case_1_1="on",
                   abuser_atena_no_1="200000000000001", abuser_name_1="山田　太郎",
                   abuser_atena_no_2="２０００００００００００００２").content.decode()
    assert "対象：200000000000001、200000000000002" in page
    assert page.count('<span class="badge">設定しない</span>') == 2
    assert "本人に関する情報照会時の不開示コード</th>\n          <td><span class=\"badge\">不要" in page


def test_2_II_confirm_shows_nondisclosure_only(login, counter):
    page = confirm(login(counter), birth_date=born_aged(11), case_2_1=None, card_left=None, case_2_2="on",
                   legal_representative="parent", end_condition="本人が18歳になる日").content.decode()
    assert page.count('<span class="badge on">設定する</span>') == 1
    assert "自動応答不可フラグ（本人の団体内統合宛名番号" in page and '<span class="badge">設定しない</span>' in page


def test_14_digit_atena_no_is_shown_next_to_the_field_and_nothing_saved(login, counter):
    response = confirm(login(counter), atena_no="12345678901234")
    assert response.status_code == 400
    assert field_error(response, "atena_no") == "団体内統合宛名番号は15桁の数字で入力してください。"
    assert 'value="12345678901234"' in response.content.decode()  # what was typed stays in the field
    assert Target.objects.count() == 0


def test_missing_case_and_facts_are_each_reported(login, counter):
    response = confirm(login(counter), case_2_1=None, card_left=None, harm_types=None, fled=None, basis=None)
    assert response.status_code == 400
    assert "該当する類型（①-I、②-I、②-II）を1つ以上選択してください。" in field_error(response, "cases")
    assert field_error(response, "harm_types") == "被害の種類（ア）を1つ以上選択してください。"
    assert "イ 加害者から避難していること" in field_error(response, "fled")
    assert "ウ 設定の根拠" in field_error(response, "basis")
    assert "入力内容に誤りがあります" in response.content.decode()


def test_case_sub_fact_errors_land_on_their_rows(login, counter):
    client = login(counter)
    r = confirm(client, case_2_1="on", card_left=None, case_1_1="on", abuser_atena_no_2="99")
    assert "②-I はカード残置" in field_error(r, "card_left")
    assert field_error(r, "abuser_atena_no_2") == "団体内統合宛名番号は15桁の数字で入力してください。"
    r = confirm(client, case_2_2="on", birth_date="1980-01-01", legal_representative="parent")
    assert "18歳以上" in field_error(r, "legal_representative")
    r = confirm(client, abuser_atena_no_1="200000000000001")  # typed but 「該当する」 not ticked
    assert "①-I に該当する場合は「該当する」を選択してください" in field_error(r, "case_1_1")
    assert Target.objects.count() == 0


def test_jumin_support_needs_a_start_date(login, counter):
    r = confirm(login(counter), jumin_support_active="on")
    assert field_error(r, "jumin_support_start") == "支援措置の開始日を入力してください。"


def test_edit_returns_to_the_filled_form(login, counter):
    client = login(counter)
    page = confirm(client, atena_no="300000000000001")
    data = {}
    for key, value in hidden_fields(page):
        data.setdefault(key, []).append(value)
    back = client.post("/targets/new/", {**data, "step": "edit"})
    assert back.status_code == 200
    assert 'value="300000000000001"' in back.content.decode()
    assert Target.objects.count() == 0


def test_registration_is_validated_again_and_duplicates_are_refused(login, counter, register):
    client = login(counter)
    existing, _ = register(counter)
    page = confirm(client, atena_no=existing.atena_no)  # confirm does not hit the database
    response = register_from(client, page)
    assert response.status_code == 400
    assert "既に所属の設定対象者として登録されています" in field_error(response, "atena_no")
    assert Target.objects.count() == 1

    tampered = client.post("/targets/new/", {**form_data(atena_no="1" * 16), "step": "register"})
    assert tampered.status_code == 400 and Target.objects.count() == 1


def test_approver_may_register_too(login, approver):
    client = login(approver)
    assert register_from(client, confirm(client)).status_code == 302
    assert Target.objects.filter(created_by=approver).exists()


def test_all_errors_show_in_one_round(login, counter):
    response = confirm(login(counter), atena_no="1234", abuser_atena_no_1="200000000000001", name="")
    assert "①-I に該当する場合は「該当する」を選択してください" in field_error(response, "case_1_1")
    assert field_error(response, "atena_no") == "団体内統合宛名番号は15桁の数字で入力してください。"
    assert field_error(response, "name") == "氏名を入力してください。"
    assert Target.objects.count() == 0
