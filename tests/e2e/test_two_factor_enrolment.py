"""The 2FA enrolment page in a real browser: the QR code an authenticator app scans is an
image the browser can actually draw, and the page passes axe-core's WCAG A/AA checks."""
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.axe import assert_no_axe_violations, install_axe


def test_enrolment_page_draws_the_qr_code_and_passes_axe(live_db, live_server, page, counter, tmp_path):
    install_axe(page.context)
    errors = []  # the browser's own favicon request (the app has none) is no error of the page
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error"
            and not msg.location.get("url", "").endswith("/favicon.ico") else None)
    page.goto(live_server.url + "/login/")
    page.get_by_label("ユーザー名").fill(counter.username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(lambda url: "/2fa/enrol/" in url)  # no device yet: enrolment first
    expect(page.get_by_role("heading", level=1)).to_have_text("2段階認証の登録")

    qr = page.get_by_role("img", name="2段階認証の登録用QRコード")
    expect(qr).to_be_visible()
    page.wait_for_function("img => img.complete", arg=qr.element_handle())
    natural = qr.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert natural[0] > 0 and natural[1] > 0, "the browser could not decode the QR image"
    assert page.locator("#manual-key").inner_text().strip()
    page.screenshot(path=str(tmp_path / "otp_enrol.png"), full_page=True)

    assert_no_axe_violations(page)
    assert errors == []  # neither a CSP violation nor a broken image
