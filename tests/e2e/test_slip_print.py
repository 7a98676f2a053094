"""The 決裁票 in a real browser (ADR 0028): the 「印刷」 button works under the CSP (no inline
script), the page passes axe, and the print layout drops the application's header and nav."""
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import intake_payload
from tests.e2e.axe import assert_no_axe_violations, install_axe
from victims.intake import parse_intake
from victims.services import change_request_approve, target_register


def test_slip_prints_without_the_application_chrome(live_db, live_server, page, sign_in, counter, approver2):
    counter.display_name = "窓口　一郎"
    counter.save(update_fields=["display_name"])
    target, cr = target_register(actor=counter, data=parse_intake(intake_payload(), today=timezone.localdate()))
    change_request_approve(actor=approver2, change_request_id=cr.pk)
    errors = []
    # A CSP violation or a missing script shows as a console error (the browser's own favicon
    # request, which no page asks for, is not one of ours).
    page.on("console", lambda msg: errors.append(f"{msg.text} {msg.location}")
            if msg.type == "error" and "favicon.ico" not in str(msg.location) else None)
    install_axe(page.context)
    sign_in(counter)
    page.goto(f"{live_server.url}/targets/{target.pk}/")
    page.get_by_role("link", name=f"決裁票（No.{cr.pk}）").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("決裁票")
    expect(page.locator("article.slip")).to_contain_text("窓口　一郎")
    expect(page.get_by_role("button", name="印刷")).to_be_visible()  # shown by static/js/print.js
    assert page.locator("script:not([src])").count() == 0
    assert_no_axe_violations(page)
    page.emulate_media(media="print")
    expect(page.locator(".app-header")).to_be_hidden()
    expect(page.get_by_role("button", name="印刷")).to_be_hidden()
    expect(page.locator("article.slip")).to_be_visible()
    assert errors == []
