"""Errors tied to their inputs and summed up at the top of the form (WCAG 1.3.1, 3.3.1, 4.1.2)."""
import re

import pytest

from victims import services

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
    assert 'href="#id_harm_types_0"' in html and 'id="id_harm_types_0"' in html  # the summary's link lands


def test_a_release_request_with_errors_opens_on_its_summary_in_the_release_section(login, counter, approver,
                                                                                    register):
    target, cr = register(counter)
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    html = login(counter).post(f"/targets/{target.pk}/release/", {}).content.decode()
    release = html.split('id="release"', 1)[1]
    summary = re.search(r"<div class=\"error-summary\"[^>]*data-error-summary.*?</div>", release, re.S)
    assert summary and "解除はまだ申請されていません" in summary.group(0)
    assert 'href="#id_reason_0"' in summary.group(0) and 'id="id_reason_0"' in html
    assert "解除理由を選択してください。" in summary.group(0)
    assert html.count("data-error-summary") == 1  # one place to put focus
