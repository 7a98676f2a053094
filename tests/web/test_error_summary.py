"""Errors tied to their inputs and summed up at the top of the form (WCAG 1.3.1, 3.3.1, 4.1.2)."""
import re

import pytest

from .conftest import form_data

pytestmark = pytest.mark.django_db


def tag(html: str, name: str) -> str:
    """The opening tag of the input/select/textarea named `name`."""
    found = re.search(rf'<(?:input|select|textarea)\b[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    assert found, name
    return found.group(0)


def test_an_input_with_an_error_points_at_the_message_shown(login, counter):
    html = login(counter).post("/targets/new/", form_data(atena_no="12345", step="confirm")).content.decode()
    field = tag(html, "atena_no")
    assert 'aria-invalid="true"' in field
    described = re.search(r'aria-describedby="([^"]*)"', field).group(1).split()
    for element_id in described:  # every id it names is on the page, once
        assert html.count(f'id="{element_id}"') == 1, element_id
    assert "error-atena_no" in described and "id_atena_no_error" not in html


def test_an_input_without_an_error_is_not_marked_invalid(login, counter):
    html = login(counter).post("/targets/new/", form_data(atena_no="12345", step="confirm")).content.decode()
    assert "aria-invalid" not in tag(html, "name")


def test_the_summary_is_an_alert_with_a_heading_and_a_link_to_each_field(login, counter):
    html = login(counter).post("/targets/new/", form_data(atena_no="12345", name="", step="confirm")).content.decode()
    summary = re.search(r'<div class="error-summary" role="alert" tabindex="-1" data-error-summary.*?</div>',
                        html, re.S)
    assert summary, "no error summary"
    text = summary.group(0)
    assert "<h2" in text and "入力内容に誤りがあります" in text and "登録はまだ行われていません" in text
    assert 'href="#id_atena_no"' in text and 'href="#id_name"' in text
    assert 'id="id_atena_no"' in html and 'id="id_name"' in html
    assert 'src="/static/js/error_summary.js"' in html  # moves focus to it: a file, the CSP allows no inline script


def test_no_summary_without_errors(login, counter):
    assert "data-error-summary" not in login(counter).get("/targets/new/").content.decode()


def test_a_group_is_a_fieldset_described_by_its_error(login, counter):
    html = login(counter).post("/targets/new/", form_data(harm_types=None, step="confirm")).content.decode()
    group = re.search(r'<fieldset class="field has-error" aria-describedby="error-harm_types">\s*<legend>', html)
    assert group, "harm_types is not a fieldset tied to its error"
