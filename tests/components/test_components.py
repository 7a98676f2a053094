"""The components of templates/components/ render the DADS markup their header comments promise:
ids that tie a control to its help and error, 必須 markers that do not change the label's name,
banners by kind, and a {% wrap %} that shows a component nothing of the page but its arguments."""
import pytest
from django import forms
from django.template import Context, Template


class _Form(forms.Form):
    name = forms.CharField(label="氏名", help_text="全角で入力します。")
    notes = forms.CharField(label="備考", required=False, widget=forms.Textarea)
    kinds = forms.MultipleChoiceField(label="種類", choices=[("a", "ア"), ("b", "イ")],
                                      widget=forms.CheckboxSelectMultiple)


def render(source: str, **context) -> str:
    return Template("{% load components %}" + source).render(Context(context))


def test_a_required_field_with_an_error_is_described_by_it_and_marked_required():
    form = _Form(data={})
    html = render('{% include "components/field.html" with field=form.name only %}', form=form)
    assert '<label for="id_name">氏名</label>' in html  # the marker is beside the label, not in its name
    assert 'class="requirement requirement--required" aria-hidden="true">※必須' in html
    assert 'aria-describedby="error-name help-name"' in html and 'aria-invalid="true"' in html
    assert 'aria-required="true"' in html
    assert '<p class="field-error" id="error-name">この項目は必須です。</p>' in html


def test_optional_is_said_only_when_the_page_asks_and_a_group_is_a_fieldset():
    form = _Form()
    plain = render('{% include "components/field.html" with field=form.notes only %}', form=form)
    asked = render('{% include "components/field.html" with field=form.notes marker="optional" only %}', form=form)
    assert "requirement" not in plain and "requirement--optional" in asked
    group = render('{% include "components/field.html" with field=form.kinds only %}', form=form)
    assert group.lstrip().startswith('<fieldset class="field"') and "<legend>種類" in group


def test_input_without_a_form_uses_the_same_frame():
    html = render('{% include "components/input.html" with id="reason" name="reason" label="理由" required=True'
                  ' error="理由を入力してください。" error_id="reason-error" only %}')
    assert '<label for="reason">理由</label>' in html and "※必須" in html
    assert 'aria-describedby="reason-error"' in html and '<p class="field-error" id="reason-error">' in html


@pytest.mark.parametrize("kind, css", [("success", "banner--success"), ("warning", "banner--warning"),
                                       ("error", "banner--error"), ("debug", "banner--info")])
def test_banner_kinds(kind, css):
    html = render('{% include "components/banner.html" with kind=kind body="保存しました" only %}', kind=kind)
    assert css in html and "<p>保存しました</p>" in html


def test_wrap_passes_the_block_and_nothing_else_of_the_page():
    html = render('{% wrap "components/banner.html" kind="warning" title="注意" %}<p>本文 {{ error }}</p>{% endwrap %}',
                  error="ページの変数", role="alert")
    assert "<p>本文 ページの変数</p>" in html  # the block sees the page
    assert "role=" not in html  # the component does not: the page's `role` is not its argument


def test_a_hidden_label_still_frames_its_control():
    form = _Form()
    html = render('{% include "components/field.html" with field=form.name label="加害者1の氏名" label_hidden=True'
                  ' only %}', form=form)
    assert '<label for="id_name" class="visually-hidden">加害者1の氏名</label>' in html and 'id="id_name"' in html


def test_button_kinds_and_link():
    primary = render('{% include "components/button.html" with label="登録" kind="primary" only %}')
    assert primary.startswith('<button type="submit" class="button button--primary">登録</button>')
    link = render('{% include "components/button.html" with label="開く" href="/x/" only %}')
    assert link.startswith('<a class="button button--secondary" href="/x/">開く</a>')


def test_steps_mark_the_current_step():
    html = render('{% include "components/steps.html" with steps="入力,確認,登録" current=2 only %}')
    assert '<li class="done">入力<span class="visually-hidden">（済）</span></li>' in html
    assert '<li class="current" aria-current="step">確認</li>' in html
