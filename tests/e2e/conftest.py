import os

import pytest

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse
# database access from it (the live server itself runs in its own thread).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

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
    """Log in through the login screen as `staff` (logging out whoever is in first)."""
    def do(staff):
        page.goto(live_server.url + "/login/")
        if page.get_by_role("button", name="ログアウト").count():
            page.get_by_role("button", name="ログアウト").click()
        page.get_by_label("ユーザー名").fill(staff.username)
        page.get_by_label("パスワード").fill(PASSWORD)
        page.get_by_role("button", name="ログイン").click()
        page.wait_for_url(live_server.url + "/")
        return page
    return do
