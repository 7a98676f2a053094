"""Where the request came from (ADR 0039): the person at the counter, or a 設定依頼 of an
outside body with its name and the date received; recorded at intake (API and screen),
shown on the target page and on the 決裁票."""
import datetime
import html
import re

import pytest
import time_machine

from flags.models import ChangeRequest
from tests.conftest import VerifiedClient, intake_payload, register_via_api
from victims.models import RequestOrigin, Target

from .test_registration_no_oracle import token_client

pytestmark = pytest.mark.django_db
JST = datetime.timezone(datetime.timedelta(hours=9))
NOW = datetime.datetime(2026, 6, 1, 10, 0, tzinfo=JST)
DV_CENTER = {"kind": "dv_center", "body": "東京都配偶者暴力相談支援センター", "requested_on": "2026-05-28"}


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def _text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_without_an_origin_the_request_is_the_persons_at_the_counter(counter):
    target = Target.objects.get(pk=register_via_api(token_client(counter))["id"])
    assert (target.request_origin, target.request_body_name, target.request_received_on) == (
        RequestOrigin.COUNTER, "", None)
    body = token_client(counter).get(f"/api/v1/targets/{target.pk}/").json()
    assert body["origin"] == {"kind": "counter", "kind_display": "本人（窓口での申出）", "body": "",
                              "requested_on": None}


def test_an_outside_bodys_request_keeps_its_name_and_date(counter):
    client = token_client(counter)
    target = Target.objects.get(pk=register_via_api(client, origin=DV_CENTER)["id"])
    assert target.request_origin == RequestOrigin.DV_CENTER
    assert target.request_body_name == "東京都配偶者暴力相談支援センター"
    assert target.request_received_on == datetime.date(2026, 5, 28)
    origin = client.get(f"/api/v1/targets/{target.pk}/").json()["origin"]
    assert origin["kind"] == "dv_center" and origin["requested_on"] == "2026-05-28"


@pytest.mark.parametrize(("origin", "errors"), [
    ({"kind": "child_guidance"}, {"origin.body", "origin.requested_on"}),
    ({"kind": "municipality", "body": "  ", "requested_on": "2026-05-01"}, {"origin.body"}),
    ({"kind": "other", "body": "警察署", "requested_on": "2026-06-02"}, {"origin.requested_on"}),  # future
    ({"kind": "other", "body": "警察署", "requested_on": "28/05/2026"}, {"origin.requested_on"}),
    ({"kind": "police"}, {"origin.kind"}),
    ({"kind": "other", "body": "あ" * 101, "requested_on": "2026-05-01"}, {"origin.body"}),
    ({"kind": "other", "body": "機関\x00", "requested_on": "2026-05-01"}, {"origin.body"}),
    ({"kind": ["dv_center"]}, {"origin.kind"}),
    ("dv_center", {"origin"}),
])
def test_an_outside_body_needs_its_name_and_the_date_received(counter, origin, errors):
    response = token_client(counter).post("/api/v1/targets/", intake_payload(origin=origin), format="json")
    assert response.status_code == 400, response.json()
    assert set(response.json()["errors"]) == errors
    assert all(re.search(r"[ぁ-んァ-ン一-龥]", message)  # in Japanese
               for messages in response.json()["errors"].values() for message in messages)
    assert not Target.objects.exists()


def test_a_body_typed_for_the_counter_is_not_kept(counter):
    origin = {"kind": "counter", "body": "何か", "requested_on": "2026-05-01"}
    target = Target.objects.get(pk=register_via_api(token_client(counter), origin=origin)["id"])
    assert (target.request_body_name, target.request_received_on) == ("", None)


def _form(**overrides) -> dict:
    data = {"atena_no": "300000000000077", "name": "山田　花子", "name_kana": "やまだ　はなこ",
            "birth_date": "1990-04-01", "harm_types": ["dv"], "fled": "on", "basis": "request",
            "case_2_1": "on", "card_left": "on"}
    return {**data, **overrides}


def test_the_intake_screen_asks_in_a_radio_group_and_carries_it_to_the_record(counter, approver):
    client = VerifiedClient()
    client.force_login(counter)
    form = client.get("/targets/new/").content.decode()
    group = re.search(r"<fieldset class=\"origin\".*?</fieldset>", form, re.S)
    assert group and "<legend>申出の経路" in group.group(0)
    assert group.group(0).count('type="radio" name="origin_kind"') == len(RequestOrigin.values)
    assert 'for="id_origin_body"' in group.group(0) and 'for="id_origin_requested_on"' in group.group(0)

    missing = client.post("/targets/new/", {**_form(origin_kind="child_guidance"), "step": "confirm"})
    assert missing.status_code == 400
    shown = missing.content.decode()
    assert 'id="error-origin_body"' in shown and 'id="error-origin_requested_on"' in shown

    data = _form(origin_kind="child_guidance", origin_body="東京都児童相談センター", origin_requested_on="2026-05-30")
    confirm = client.post("/targets/new/", {**data, "step": "confirm"})
    assert confirm.status_code == 200
    assert "児童相談所からの設定依頼（東京都児童相談センター、2026年5月30日受付）" in _text(confirm)
    done = client.post("/targets/new/", {**data, "step": "register"})
    assert done.status_code == 302
    receipt = _text(client.get(done["Location"]))  # the receipt shows what was submitted
    assert "申出の経路 児童相談所からの設定依頼（東京都児童相談センター、2026年5月30日受付）" in receipt
    target = Target.objects.get(atena_no="300000000000077")
    assert target.request_origin == RequestOrigin.CHILD_GUIDANCE
    assert target.request_received_on == datetime.date(2026, 5, 30)

    page = _text(client.get(f"/targets/{target.pk}/"))
    assert "申出の経路 児童相談所からの設定依頼（東京都児童相談センター、2026年5月30日受付）" in page
    change_request = ChangeRequest.objects.get(target=target)
    slip = _text(client.get(f"/flags/requests/{change_request.pk}/slip/"))
    assert "申出の経路 児童相談所からの設定依頼（東京都児童相談センター、令和8年5月30日（2026年5月30日）受付）" in slip
