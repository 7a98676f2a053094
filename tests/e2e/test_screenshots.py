"""The main screens, each visited in a real browser and checked with axe-core; with
WRITE_SCREENSHOTS=1 each is also saved as a small PNG for the README (「画面」) into
docs/screenshots/<SCREENSHOTS_DIR, default "after">/. The pictures are a by-product: the test is
the visit and the axe check, so it runs (and can fail) without the variable too."""
import os
from pathlib import Path

from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.axe import assert_no_axe_violations, install_axe

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _shot(page, name: str) -> None:
    assert_no_axe_violations(page)
    if os.environ.get("WRITE_SCREENSHOTS") == "1":
        folder = SHOTS / os.environ.get("SCREENSHOTS_DIR", "after")
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=folder / f"{name}.png", full_page=False)


def test_main_screens(live_db, live_server, page, sign_in, counter, approver, sysadmin, auditor, register):
    target, request = register(counter, name="画面　花子")
    install_axe(page.context)

    page.goto(live_server.url + "/login/")
    _shot(page, "01-login")

    sign_in(counter)
    _shot(page, "02-home-counter")
    page.goto(live_server.url + reverse("victims:worklist"))
    _shot(page, "03-worklist")
    page.goto(live_server.url + reverse("victims:intake"))
    page.get_by_label("団体内統合宛名番号", exact=True).fill("12345")
    page.get_by_role("button", name="確認へ進む").click()
    expect(page.locator(".error-summary")).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, "04-intake-errors")
    page.goto(live_server.url + reverse("victims:detail", args=[target.pk]))
    _shot(page, "05-target-detail")
    page.goto(live_server.url + reverse("checks:bulk"))
    _shot(page, "06-bulk-check")

    sign_in(approver)
    _shot(page, "07-home-approver")
    page.goto(live_server.url + reverse("approvals:queue"))
    _shot(page, "08-approval-queue")
    page.goto(live_server.url + reverse("approvals:decide", args=[request.pk]))
    _shot(page, "09-decide")

    sign_in(sysadmin)
    _shot(page, "10-home-sysadmin")
    page.goto(live_server.url + reverse("intermediary:monitor"))
    _shot(page, "11-sync-monitor")

    sign_in(auditor)
    _shot(page, "12-home-auditor")
    page.goto(live_server.url + reverse("audit:events"))
    _shot(page, "13-audit-search")
