"""Usable at 375 px width and at 200 % zoom (WCAG 1.4.10 reflow, 1.4.4 resize text), and a visible
focus ring (2.4.7): the intake form (empty and with errors) and a target's page, with axe-core
on each. Only a table's wrapper may scroll sideways; the page itself never does."""
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.axe import assert_no_axe_violations, install_axe

# 375 CSS px: a phone. 640 CSS px at device scale 2: a 1280 px screen zoomed to 200 %.
SCREENS = {"375px": {"viewport": {"width": 375, "height": 800}, "device_scale_factor": 1},
           "200percent": {"viewport": {"width": 640, "height": 450}, "device_scale_factor": 2}}

PAGE_SCROLLS_SIDEWAYS = """() => {
    const page = document.scrollingElement;
    if (page.scrollWidth <= page.clientWidth) return [];
    // Name what sticks out, so a failure says where to look (table wrappers scroll on their own).
    return [...document.querySelectorAll("main *, header *, nav *")]
        .filter(e => e.getBoundingClientRect().right > page.clientWidth + 1 && !e.closest(".table-wrap"))
        .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + "." + e.className);
}"""


def _assert_reflows(page):
    assert page.evaluate(PAGE_SCROLLS_SIDEWAYS) == [], "the page scrolls sideways"
    assert page.evaluate("document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth")
    assert_no_axe_violations(page)


@pytest.mark.parametrize("screen", SCREENS)
def test_intake_and_detail_reflow_without_sideways_scroll(live_db, live_server, browser, sign_in, counter, register,
                                                         screen):
    target, _ = register(counter)
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", **SCREENS[screen])
    context.set_default_timeout(15_000)
    install_axe(context)
    page = context.new_page()
    try:
        sign_in(counter, on=page)
        _assert_reflows(page)  # home
        page.goto(live_server.url + reverse("victims:intake"))
        _assert_reflows(page)
        page.get_by_label("団体内統合宛名番号", exact=True).fill("12345")
        page.get_by_role("button", name="確認へ進む").click()
        expect(page.locator("[data-error-summary]")).to_be_focused()
        _assert_reflows(page)
        page.goto(live_server.url + reverse("victims:detail", args=[target.pk]))
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"設定対象者 No.{target.pk}")
        _assert_reflows(page)
        # the wide tables scroll inside their wrapper, which a keyboard user can reach
        wrapper = page.locator(".table-wrap").first
        expect(wrapper).to_have_attribute("tabindex", "0")
    finally:
        context.close()


def test_the_focus_ring_is_visible_on_a_button_and_a_field(live_db, live_server, page):
    install_axe(page.context)
    page.goto(live_server.url + "/login/")
    page.get_by_label("パスワード").focus()
    field_outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    page.keyboard.press("Tab")  # to the ログイン button, by keyboard as a clerk would
    button = page.get_by_role("button", name="ログイン")
    expect(button).to_be_focused()
    style = button.evaluate("b => { const s = getComputedStyle(b); return [s.outlineStyle, s.outlineWidth]; }")
    assert style[0] != "none" and float(style[1].removesuffix("px")) >= 4, style  # the DADS 4 px ring
    assert field_outline != "none"
    assert_no_axe_violations(page)
