"""The stamper in a real browser (ADR 0043, 0044): the system administrator confirms the
layout's code values on its screen, a linkage department's clerk uploads a request file, sees
the counts and downloads the stamped file. axe runs on every state visited."""
import re

from playwright.sync_api import expect

from tests.checks.conftest import request_line
from tests.e2e.axe import assert_no_axe_violations, install_axe


def test_confirm_the_layout_then_stamp_a_file(live_db, live_server, page, sign_in, counter, other_counter, sysadmin,
                                             register, tmp_path):
    register(counter, atena_no="620000000000001")
    install_axe(page.context)

    sign_in(sysadmin)
    page.get_by_role("link", name="ファイルレイアウトの確認").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ファイルレイアウトのコード値の確認")
    assert_no_axe_violations(page)  # both layouts unconfirmed
    section = page.get_by_role("region", name=re.compile("中間サーバ照会用"))
    section.get_by_role("button", name="この値を確認した").click()
    expect(page.locator("#error-understood")).to_be_visible()
    assert_no_axe_violations(page)  # the refusal next to the box
    section = page.get_by_role("region", name=re.compile("中間サーバ照会用"))
    section.get_by_label(re.compile("業務システムの仕様のとおり")).check()
    section.get_by_role("button", name="この値を確認した").click()
    expect(page.get_by_role("region", name=re.compile("中間サーバ照会用"))).to_contain_text("確認済み")
    assert_no_axe_violations(page)  # confirmed

    sign_in(other_counter)
    page.get_by_role("link", name="照会ファイルの不開示コード").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("照会依頼ファイルの不開示コード設定")
    assert_no_axe_violations(page)  # the empty form
    path = tmp_path / "shokai.txt"
    path.write_bytes(request_line("620000000000001") + request_line("620000000000002"))
    page.get_by_label("照会依頼ファイル").set_input_files(str(path))
    page.get_by_role("button", name="不開示コードを設定する").click()
    expect(page.locator(".answer")).to_contain_text("1 行に不開示コードを設定しました")
    assert_no_axe_violations(page)  # the result
    with page.expect_download() as info:
        page.get_by_role("link", name="設定後のファイルをダウンロード").click()
    stamped = tmp_path / "out.txt"
    info.value.save_as(str(stamped))
    assert stamped.read_bytes() == request_line("620000000000001", code="1") + request_line("620000000000002")
