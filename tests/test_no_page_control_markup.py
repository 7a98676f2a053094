"""No page writes its own control markup (issue 12, ADR 0054): buttons, inputs, selects, text
areas, error texts, error summaries and banners come from templates/components/, so every
screen has the DADS look, the ids that tie a control to its texts, and the same wording.
A page that needs a new kind of control adds a component instead."""
import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
COMPONENTS = TEMPLATES / "components"

FORBIDDEN = {
    "<button": "components/button.html",
    "<input": "components/input.html, field.html or hidden.html ({% csrf_token %} writes its own)",
    "<select": "components/input.html control=\"select\" or field.html",
    "<textarea": "components/input.html control=\"textarea\" or field.html",
    'class="errorlist': "components/field.html (the error under its field)",
    'class="field-error': "components/field.html or input.html (the error under its field)",
    'class="error-summary': "components/error_summary.html",
    'class="banner': "components/banner.html",
    'class="notice"': "components/banner.html",
    'class="notice ': "components/banner.html",
    'class="button': "components/button.html with href= (a link that looks like a button)",
    'class="steps': "components/steps.html",
    'class="pagination': "components/pagination.html (or buttons from button.html in a POST list's form)",
    ".tag }}": "components/field.html (a radio group is a field)",
}
# A widget rendered bare ({{ form.name }}) has no label, marker or error from the components.
BARE_WIDGET = re.compile(r"{{\s*(?:\w+_)?form\.\w+\s*}}")
INCLUDE_WITHOUT_ONLY = re.compile(r'{%\s*include\s+"components/[^%]*?\S(?<!\bonly)\s*%}')

PAGES = sorted(p for p in TEMPLATES.rglob("*.html") if COMPONENTS not in p.parents)


def test_there_are_pages_to_check():
    assert len(PAGES) > 50  # a wrong path would make every check below pass


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_page_uses_the_components(page):
    text = page.read_text()
    found = [f"{needle!r}: use {instead}" for needle, instead in FORBIDDEN.items() if needle in text]
    found += [f"bare widget {m.group(0)}: use components/field.html" for m in BARE_WIDGET.finditer(text)]
    found += [f"{m.group(0)}: include components `with … only`" for m in INCLUDE_WITHOUT_ONLY.finditer(text)]
    assert found == [], f"{page.relative_to(TEMPLATES)} writes its own control markup:\n" + "\n".join(found)


def test_the_guard_catches_what_it_forbids(tmp_path):
    """The patterns above match the markup they are meant for (so a pass means something)."""
    sample = ('<button type="submit">x</button> {{ form.name }} {% include "components/button.html" with label="x" %}'
              ' <p class="field-error">e</p>')
    assert "<button" in sample and BARE_WIDGET.search(sample) and INCLUDE_WITHOUT_ONLY.search(sample)
    assert not INCLUDE_WITHOUT_ONLY.search('{% include "components/button.html" with label="x" only %}')
