import os
import time

import pytest

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse
# database access from it (the live server itself runs in its own thread).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from django.conf import settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.conftest import PASSWORD  # noqa: E402

CHROMIUM = "/usr/bin/chromium"  # Debian's browser: Playwright never downloads one
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture
def _close_connection_after_flush():
    """live_server's autouse helper sets up transactional_db before live_db, so the shared
    fixture's close would run *before* the flush and drop the session setting that lets the
    flush truncate the append-only audit table. Django's TransactionTestCase closes the
    connection after its flush anyway, so here there is nothing to do."""
    yield


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (make browser)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def sign_in(page, live_server):
    """Log in through the login screen as `staff` (logging out whoever is in first),
    answering the second factor when the project asks for one. `on`: another page (a context
    with its own viewport) to sign in on."""
    default_page = page

    def do(staff, on=None):
        page = on or default_page
        page.goto(live_server.url + "/login/")
        if page.get_by_role("button", name="ログアウト").count():
            page.get_by_role("button", name="ログアウト").click()
        device = _confirmed_totp_device(staff)
        page.get_by_label("ユーザー名").fill(staff.username)
        page.get_by_label("パスワード").fill(PASSWORD)
        page.get_by_role("button", name="ログイン").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        if "/2fa/" in page.url and device is not None:
            page.locator("input[name=token]").fill(_current_token(device))
            page.locator("main form button[type=submit]").first.click()
        page.wait_for_url(live_server.url + "/")
        return page
    return do


def _confirmed_totp_device(staff):
    if "django_otp.plugins.otp_totp" not in settings.INSTALLED_APPS:
        return None

    return TOTPDevice.objects.filter(user=staff, confirmed=True).first() or \
        TOTPDevice.objects.create(user=staff, name="e2e", confirmed=True)


def _current_token(device) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if device.last_t is not None and totp.t() <= device.last_t:
        time.sleep(device.step - (time.time() - device.t0) % device.step + 0.5)  # tokens are single-use
    return f"{totp.token():0{device.digits}d}"
