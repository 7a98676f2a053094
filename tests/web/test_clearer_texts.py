"""Texts that confused a new user (issue 12): the ①-I confirmation's two 不開示コード lines,
完了確認日 empty by default, a warning when no explanation is ticked."""
import re

import pytest
from django.utils import timezone

from victims import services

from .conftest import form_data

pytestmark = pytest.mark.django_db


def confirm(client, **overrides):
    return client.post("/targets/new/", {**form_data(**overrides), "step": "confirm"})


def test_1_I_confirmation_says_the_code_on_the_victim_holds_only_while_pending(login, counter):
    html = confirm(login(counter), case_2_1=None, card_left=None, case_1_1="on",
                   abuser_atena_no_1="200000000000031").content.decode()
    note = html.split('id="pending-protection">')[1].split("</p>")[0]
    assert "を待つ間に限り" in note and "承認後は、本人に関する不開示コードは上の表のとおり「不要」" in note


def test_2_I_confirmation_keeps_the_plain_sentence(login, counter):
    note = confirm(login(counter)).content.decode().split('id="pending-protection">')[1].split("</p>")[0]
    assert "登録した時点から" in note and "に限り" not in note


def test_no_explanation_ticked_is_warned_but_may_be_registered(login, counter):
    client = login(counter)
    html = confirm(client, explained_mynaportal=None, explained_card_suspension=None).content.decode()
    assert 'id="no-explanation"' in html and "説明した事項が1つも選ばれていません" in html
    assert 'value="register"' in html  # a warning, not a refusal
    assert 'id="no-explanation"' not in confirm(client).content.decode()


def test_completion_date_is_empty_by_default(login, counter, approver, register):
    target, cr = register(counter)
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    html = login(counter).get(f"/targets/{target.pk}/").content.decode()
    assert re.search(r'<input type="date" id="confirmed-on-[^"]+" name="confirmed_on" required', html)
    assert f'value="{timezone.localdate().isoformat()}"' not in html
    response = login(counter).post(f"/targets/{target.pk}/cases/{target.cases.get().pk}/confirm/",
                                   {"procedure": "card", "confirmed_on": ""})
    assert response.status_code == 400  # one click records nothing
    assert target.cases.get().card_suspension_confirmed_on is None
