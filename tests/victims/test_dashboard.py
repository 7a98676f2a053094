"""The dashboards (ADR 0057): per role, counts only, each chart one GROUP BY (the number of
queries does not grow with the data), drawn as accessible inline SVG with the same numbers as
a table."""
import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from intermediary.models import Operation, OperationStatus
from victims.services import change_request_approve, release_request_create

JST = datetime.timezone(datetime.timedelta(hours=9))
NOW = datetime.datetime(2026, 11, 20, 10, tzinfo=JST)
pytestmark = pytest.mark.django_db


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def work(counter, approver, other_counter, other_approver, register):
    with at(datetime.datetime(2026, 9, 10, 10, tzinfo=JST)):
        a, cr = register(counter, atena_no="720000000000001")
        change_request_approve(actor=approver, change_request_id=cr.pk)
        b, _ = register(counter, atena_no="720000000000002",
                        cases=[{"type": "2-I", "card_left": True},
                               {"type": "1-I", "abuser_atena_no": "729000000000001"}])
        o, cr_o = register(other_counter, atena_no="720000000000003")
        change_request_approve(actor=other_approver, change_request_id=cr_o.pk)
    with at(datetime.datetime(2026, 11, 2, 10, tzinfo=JST)):
        release = release_request_create(actor=counter, target_id=a.pk, reason="wish", case_ids=None)
        change_request_approve(actor=approver, change_request_id=release.pk)
    # Reflected: the set of `a` 3 minutes after approval (on 10 Sep) and its release 2 hours after (2 Nov).
    for op in Operation.objects.filter(unit_key=a.atena_no):
        Operation.objects.filter(pk=op.pk).update(
            status=OperationStatus.REFLECTED,
            reflected_at=op.created_at + datetime.timedelta(minutes=3 if op.action == "set" else 120))
    return {"a": a, "b": b, "other": o}


def _page(web, staff):
    with at(NOW):
        return web(staff).get(reverse("dashboard:home"))


def test_a_clerk_sees_her_departments_counts_in_four_charts(work, web, counter):
    response = _page(web, counter)
    assert response.status_code == 200
    ctx = response.context
    assert set(ctx["charts"]) == {"targets", "monthly", "lag", "reminders"}
    rows = {row[0]: row[1:] for row in ctx["targets"].table}
    headers = ctx["targets"].table_headers
    status = dict(zip(headers[1:], rows["②-I"], strict=True))
    # kodomo only: a (released, ②-I) and b (pending, ②-I and ①-I); not zeimu's.
    assert status["登録承認待ち"] == "1件" and status["解除済み"] == "1件" and status["設定中"] == "0件"
    assert dict(zip(headers[1:], rows["①-I"], strict=True))["登録承認待ち"] == "1件"
    months = {row[0]: row[1:] for row in ctx["monthly"].table}
    assert months["2026年9月"] == ["1件", "0件"] and months["2026年11月"] == ["0件", "1件"]
    assert len(ctx["monthly"].table) == 12 and ctx["monthly"].table[-1][0] == "2026年11月"


def test_the_delivery_lag_is_drawn_against_the_window_rule(work, web, counter, settings):
    settings.INTERMEDIARY_CHANNEL = "xml_batch"
    settings.INTERMEDIARY_INTERVAL_MINUTES = 5
    lag = {c.chart_id: c for c in _page(web, counter).context["lag"]}
    nar, nd = lag["chart-lag-no-auto-response"], lag["chart-lag-nondisclosure"]
    assert nar.threshold.value == 5 and nar.unit == "分" and "5分" in nar.threshold.label
    assert nd.threshold.value == 24 and nd.unit == "時間"
    day = {row[0]: row[1] for row in nar.table}
    assert day["11/2"] == "120分" and day["11/1"] == "—"  # the release took 2 hours: over the line
    assert 'stroke-dasharray="6 4"' in str(nar.svg)  # the threshold line is drawn
    assert str(nar.svg).count('fill="#EC0000"') == 1  # one day over the line, marked by a square


def test_the_svg_is_named_and_described_and_the_table_has_the_numbers(work, web, counter):
    html = _page(web, counter).content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in html
    assert 'aria-labelledby="chart-targets-title chart-targets-desc"' in html
    assert '<title id="chart-targets-title">類型別・状態別の設定対象者数</title>' in html
    assert "<details" in html and "グラフの数値を表で見る" in html
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]  # no chart script
    assert "720000000000001" not in html  # counts only: no number, no person


def test_auditors_see_the_municipality_without_reminders(work, web, auditor):
    ctx = _page(web, auditor).context
    assert set(ctx["charts"]) == {"targets", "monthly", "lag"} and "reminders" not in ctx
    rows = {row[0]: row[1:] for row in ctx["targets"].table}
    status = dict(zip(ctx["targets"].table_headers[1:], rows["②-I"], strict=True))
    assert status["設定中"] == "1件"  # zeimu's person counts too


def test_system_admins_see_the_delivery_side_only(work, web, sysadmin):
    ctx = _page(web, sysadmin).context
    assert set(ctx["charts"]) == {"monthly", "lag"} and "targets" not in ctx


def test_the_view_is_audited_without_any_target(work, web, counter):
    _page(web, counter)
    event = AuditEvent.objects.get(action="dashboard.view")
    assert event.target_id is None and "target_ids" not in event.detail
    assert event.detail["department_id"] == counter.department_id


def test_the_number_of_queries_does_not_grow_with_the_data(work, web, counter, approver, register):
    client = web(counter)

    def count():
        with at(NOW), CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("dashboard:home")).status_code == 200
        return [q["sql"][:150] for q in queries]

    def add(first, n):
        with at(datetime.datetime(2026, 10, 5, 10, tzinfo=JST)):
            for i in range(first, first + n):
                _, cr = register(counter, atena_no=f"7210000000{i:05d}")
                change_request_approve(actor=approver, change_request_id=cr.pk)
    add(0, 2)
    before = count()
    add(2, 10)
    after = count()
    assert len(after) == len(before), "\n".join(q for q in after if q not in before)
