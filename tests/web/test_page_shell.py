"""The page shell every screen shares: the skip link (WCAG 2.4.1)."""
import re
from pathlib import Path

from django.urls import reverse


def test_the_skip_link_is_the_first_focusable_element_and_leads_to_main(login, counter):
    html = login(counter).get(reverse("home")).content.decode()
    body = html.split("<body>", 1)[1]
    first_focusable = re.search(r"<(a|button|input|select|textarea)\b[^>]*>", body)
    assert first_focusable is not None
    assert first_focusable.group(0) == '<a class="skip-link" href="#main">'
    assert "本文へスキップ" in body.split("</a>", 1)[0]
    assert len(re.findall(r'<main id="main"', html)) == 1


def test_the_login_screen_has_it_too(client):
    html = client.get(reverse("accounts:login")).content.decode()
    assert '<a class="skip-link" href="#main">本文へスキップ</a>' in html and '<main id="main"' in html


def test_no_template_has_an_empty_table_header():
    """axe empty-table-header: a column of buttons still has a header a screen reader can say."""
    templates = Path(__file__).resolve().parents[2] / "templates"
    empty = [str(p) for p in templates.rglob("*.html") if re.search(r"<th[^>]*>\s*</th>", p.read_text())]
    assert empty == []
