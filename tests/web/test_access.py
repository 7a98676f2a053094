"""Login, logout, home per role, and the role gates of every screen."""
import pytest

from audit.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

SCREENS = ["/", "/targets/new/", "/targets/search/", "/targets/shared/", "/targets/1/", "/flags/approvals/",
           "/flags/check/"]


def test_login_page_is_japanese_and_bad_password_is_refused_and_audited(client, counter):
    page = client.get("/login/")
    assert "ユーザー名" in page.content.decode() and "パスワード" in page.content.decode()
    response = client.post("/login/", {"username": "counter1", "password": "wrong-password"})
    assert response.status_code == 200
    assert "正しいユーザー名とパスワードを入力してください" in response.content.decode()
    assert AuditEvent.objects.filter(action="auth.login_failed", actor_username="counter1").exists()


def test_login_screen_accepts_the_password_and_logout_is_post_only(client, login, counter):
    response = client.post("/login/", {"username": "counter1", "password": PASSWORD})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.login", actor_id=counter.pk).exists()
    client = login(counter)
    assert client.get("/").status_code == 200
    assert client.get("/logout/").status_code == 405  # a link cannot log anyone out
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("url", SCREENS)
def test_every_screen_requires_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("who", ["sysadmin", "auditor"])
@pytest.mark.parametrize("url", ["/targets/new/", "/targets/search/", "/targets/shared/", "/targets/1/",
                                 "/flags/approvals/", "/flags/check/"])
def test_sysadmin_and_auditor_get_no_victim_screen(request, login, who, url):
    client = login(request.getfixturevalue(who))
    assert client.get(url).status_code == 403


def test_counter_cannot_open_the_approval_queue(login, counter):
    assert login(counter).get("/flags/approvals/").status_code == 403


def test_non_linkage_department_gets_neither_check_nor_shared_list(login, nonlinkage_counter):
    client = login(nonlinkage_counter)
    assert client.get("/flags/check/").status_code == 403
    assert client.get("/targets/shared/").status_code == 403
    home = client.get("/").content.decode()
    assert "照会時確認" not in home and "設定対象者の登録" in home


def test_home_and_nav_per_role(login, counter, approver, sysadmin, auditor):
    counter_home = login(counter).get("/").content.decode()
    for item in ("設定対象者の登録", "宛名番号で検索", "照会時確認", "設定対象者一覧（共有）"):
        assert item in counter_home
    assert "承認待ち" not in counter_home

    approver_home = login(approver).get("/").content.decode()
    assert "承認待ち" in approver_home and "0件" in approver_home

    sysadmin_home = login(sysadmin).get("/").content.decode()
    assert "自治体中間サーバー連携の同期状況" in sysadmin_home and "/audit/" not in sysadmin_home
    assert "設定対象者の登録" not in sysadmin_home and "照会時確認" not in sysadmin_home

    auditor_home = login(auditor).get("/").content.decode()
    assert "/audit/" in auditor_home and "同期状況" not in auditor_home
    assert "設定対象者の登録" not in auditor_home


def test_approver_home_counts_pending_requests(login, counter, approver, register):
    register(counter)
    register(counter)
    assert "承認待ち <span class=\"count\">2件</span>" in login(approver).get("/").content.decode()


def test_pages_are_not_cached(login, counter):
    assert login(counter).get("/").headers["Cache-Control"] == "no-store"
