import pytest
from rest_framework.test import APIClient

from accounts.services import api_token_issue


@pytest.fixture
def api():
    """api(staff) → an APIClient authenticated with a real API token of that staff member.

    The token has been used once (an unknown route: no object, no audit event), so its first
    call of the minute, which also records its last use (ADR 0019), is behind it: a test that
    counts one call's queries counts the call's own."""
    def make(staff=None):
        client = APIClient()
        if staff is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(actor=None, staff=staff)}")
            assert client.get("/api/v1/no-such-route/").status_code == 404
        return client
    return make
