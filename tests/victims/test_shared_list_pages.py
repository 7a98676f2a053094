"""The shared list at scale (issue 14): a page of 100 at a time, searched by either number or a
kana prefix through POST (never in a URL), and the event names the page's people only."""
import pytest
from django.urls import reverse

from audit.models import AuditEvent
from victims import selectors as vs


@pytest.fixture
def many(counter, register):
    return [register(counter, name_kana=f"テスト　{kana}")[0] for kana in ["アイ", "アオ", "イヌ"] * 41]  # 123


def test_the_list_is_paged_and_the_event_names_the_page_only(other_counter, many, client):
    client.force_login(other_counter)
    first = client.get(reverse("victims:shared"))
    assert first.status_code == 200 and "123 人" in first.content.decode()
    assert len(first.context["page"].object_list) == 100 and "次の100件" in first.content.decode()
    second = client.get(reverse("victims:shared"), {"page": 2})
    assert len(second.context["page"].object_list) == 23
    event = AuditEvent.objects.filter(action="target.shared_list").latest("id")
    assert event.detail["count"] == 23 and event.detail["total"] == 123 and len(event.detail["target_ids"]) == 23
    shown = {r["atena_no"] for r in second.context["page"]}
    assert {t.pk for t in many if t.atena_no in shown} == set(event.detail["target_ids"])


def test_search_by_number_and_by_kana_prefix_is_posted(other_counter, many, client):
    client.force_login(other_counter)
    one = many[5]
    response = client.post(reverse("victims:shared"), {"atena_no": one.atena_no, "kana": ""})
    assert [r["atena_no"] for r in response.context["page"]] == [one.atena_no]
    response = client.post(reverse("victims:shared"), {"atena_no": "", "kana": "てすと　あ"})  # hiragana folds
    page = response.context["page"]
    assert page.paginator.count == 82 and "次の100件" not in response.content.decode()
    event = AuditEvent.objects.filter(action="target.shared_list").latest("id")
    assert event.detail["searched_by"] == ["kana"] and "テスト" not in str(event.detail)


def test_a_bad_number_is_refused_in_japanese(other_counter, client, db):
    client.force_login(other_counter)
    response = client.post(reverse("victims:shared"), {"atena_no": "12", "kana": ""})
    assert response.status_code == 400 and "15桁" in response.content.decode()


def test_the_page_is_small_whatever_the_list(other_counter, many):
    page = vs.target_shared_list(actor=other_counter, page=1)
    assert len(page.object_list) == vs.SHARED_LIST_PAGE_SIZE
