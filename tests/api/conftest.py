import pytest
from rest_framework.test import APIClient

from accounts.services import api_token_issue


@pytest.fixture
def api():
    """api(staff) → an APIClient authenticated with a real API token of that staff member."""
    def make(staff=None):
        client = APIClient()
        if staff is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(actor=None, staff=staff)}")
        return client
    return make
