import re

import pytest
from django.test import Client

from tests.conftest import new_atena


@pytest.fixture
def login(client):
    """A fresh client per staff member, of the same class as the project's `client` fixture
    (so it is also past any second factor the project requires). The login screen itself
    is tested in test_access.py."""
    def do(staff) -> Client:
        logged_in = type(client)()
        logged_in.force_login(staff)
        return logged_in
    return do


def form_data(**overrides) -> dict:
    """A complete, valid intake form for a ②-I person (card left behind)."""
    data = {
        "atena_no": new_atena(), "name": "山田　花子", "name_kana": "やまだ　はなこ", "birth_date": "1990-04-01",
        "harm_types": ["dv"], "fled": "on", "basis": "request",
        "case_2_1": "on", "card_left": "on",
        "explained_mynaportal": "on", "explained_card_suspension": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def field_error(response, name: str) -> str:
    """The error text shown next to field `name` (empty when none)."""
    html = response.content.decode()
    found = re.findall(rf'<p class="field-error" id="error-{re.escape(name)}"[^>]*>(.*?)</p>', html)
    return " ".join(found)
