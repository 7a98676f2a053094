"""In a real browser, with axe-core on each state (issue 12, ADR 0057, 0058, 0060): the dashboard
of each role (its charts, and a chart's numbers opened as a table), the annual report (default
year, another year, CSV/xlsx links, a year not offered), and the warning on a target's page
while delivery has been failing for longer than the setting."""
import datetime

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from intermediary.models import Operation, OperationStatus
from tests.e2e.axe import assert_no_axe_violations, install_axe
from victims.intake import parse_intake
from victims.models import Target
from victims.services import change_request_approve, target_register

from ..conftest import intake_payload


def _register(counter, **overrides):
    return target_register(actor=counter, data=parse_intake(intake_payload(**overrides), today=timezone.localdate()))


def test_dashboards_per_role_the_annual_report_and_the_failing_delivery_warning(
        live_db, live_server, page, sign_in, counter, approver, sysadmin, auditor, settings):
    settings.DELIVERY_FAILING_ALERT_AFTER_SECONDS = 300
    reflected, cr = _register(counter)
    change_request_approve(actor=approver, change_request_id=cr.pk)
    for op in Operation.objects.filter(unit_key=reflected.atena_no):
        Operation.objects.filter(pk=op.pk).update(status=OperationStatus.REFLECTED,
                                                  reflected_at=op.created_at + datetime.timedelta(minutes=2))
    failing, cr2 = _register(counter, cases=[{"type": "2-I", "card_left": True},
                                             {"type": "1-I", "abuser_atena_no": "739000000000001"}])
    change_request_approve(actor=approver, change_request_id=cr2.pk)
    Operation.objects.filter(unit_key=failing.atena_no).update(
        status=OperationStatus.FAILED, attempts=3, last_error_code="HTTP503",
        failing_since=timezone.now() - datetime.timedelta(minutes=10))
    _register(counter)  # pending
    # Registered two years ago: the report offers earlier years too.
    Target.objects.filter(pk=reflected.pk).update(created_at=timezone.now() - datetime.timedelta(days=730))
    install_axe(page.context)

    sign_in(counter)
    page.get_by_role("link", name="ダッシュボード").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ダッシュボード")
    for chart in ("chart-targets", "chart-monthly", "chart-lag-no-auto-response", "chart-lag-nondisclosure",
                  "chart-reminders"):
        expect(page.locator(f"svg#{chart}[role=img]")).to_be_visible()
    expect(page.get_by_role("img", name="類型別・状態別の設定対象者数")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_text("グラフの数値を表で見る（類型別・状態別の設定対象者数）").click()
    table = page.get_by_role("table", name="類型別・状態別の設定対象者数")
    expect(table).to_be_visible()
    row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="②-I", exact=True))
    expect(row).to_contain_text("2件")  # 設定中: the reflected and the failing person
    assert_no_axe_violations(page)

    page.goto(f"{live_server.url}{reverse('victims:detail', kwargs={'pk': failing.pk})}")
    banner = page.locator("#delivery-failing")
    expect(banner).to_contain_text("フラグの送信に失敗が続いています")
    expect(banner).to_contain_text("情報連携担当")
    assert_no_axe_violations(page)
    page.goto(f"{live_server.url}{reverse('victims:detail', kwargs={'pk': reflected.pk})}")
    expect(page.locator("#delivery-failing")).to_have_count(0)

    sign_in(approver)
    page.goto(f"{live_server.url}{reverse('dashboard:home')}")
    expect(page.locator("svg#chart-reminders")).to_be_visible()
    assert_no_axe_violations(page)

    sign_in(sysadmin)
    page.goto(f"{live_server.url}{reverse('dashboard:home')}")
    expect(page.locator("svg#chart-monthly")).to_be_visible()
    expect(page.locator("svg#chart-targets")).to_have_count(0)
    assert_no_axe_violations(page)

    sign_in(auditor)
    page.goto(f"{live_server.url}{reverse('dashboard:home')}")
    expect(page.locator("svg#chart-targets")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="12月1日現在の件数報告（年次）").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("12月1日現在の件数報告")
    expect(page.get_by_role("link", name="Excel（xlsx）で出力")).to_be_visible()
    assert_no_axe_violations(page)
    year = page.get_by_label("報告の年（12月1日現在）")
    expect(year.locator("option").nth(1)).to_be_attached()  # at least two years, whatever today is
    year.select_option(index=1)
    page.get_by_role("button", name="表示").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("12月1日現在")
    assert_no_axe_violations(page)
    page.goto(f"{live_server.url}{reverse('dashboard:annual_report')}?year=1999")
    expect(page.locator("main")).to_contain_text("年を選び直してください")
    assert_no_axe_violations(page)
