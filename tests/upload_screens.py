"""Shared by the screen tests of the upload screens (bulk check, recipient filter, inquiry-file
stamp, provision-file check): a file upload and the page's data: download. The signed-in
client is tests/conftest.py's `web` fixture."""
import base64
import io
import re


def upload(client, url, content: bytes, *, filename: str = "list.csv", **data):
    f = io.BytesIO(content)
    f.name = filename
    return client.post(url, {"file": f, **data})


def data_link(html: str) -> bytes:
    match = re.search(r'href="data:[^;]+;base64,([^"]+)"', html)
    assert match is not None, "the page has a data: download link"
    return base64.b64decode(match.group(1))
