"""The Japanese 500 page in a real browser, checked by axe-core (WCAG A/AA). The page is
what core.api_errors.server_error renders; the browser loads it at the live server's origin,
so its stylesheet comes from the app as it would after a real failure."""
from django.test import RequestFactory

from core.api_errors import server_error
from tests.e2e.axe import assert_no_axe_violations, install_axe


def test_the_500_page_reads_in_japanese_and_passes_axe(live_db, live_server, page):
    response = server_error(RequestFactory().get("/targets/1/"))
    assert response.status_code == 500
    install_axe(page.context)
    failing_url = f"{live_server.url}/targets/1/"
    page.route(failing_url, lambda route: route.fulfill(
        status=500, body=response.content, headers={"Content-Type": response["Content-Type"]}))
    page.goto(failing_url)
    assert page.title() and "システム" in page.locator("body").inner_text()
    # The stylesheet loaded (axe checks contrast on the styled page, not on browser defaults).
    assert page.evaluate("() => [...document.styleSheets].reduce((n, s) => n + s.cssRules.length, 0)") > 0
    assert_no_axe_violations(page)
