"""{{ field|described_widget }}: the field's input tied to its help and error texts.

components/field.html gives them the ids help-<name> and error-<name>; Django on its own would
point aria-describedby at id_<name>_helptext / id_<name>_error, which no element on our pages has.
One place decides the ids, so the message a screen reader reads out is the one shown."""
from django import template

register = template.Library()

def help_id(field) -> str:
    return f"help-{field.name}"


def error_id(field) -> str:
    return f"error-{field.name}"


@register.filter
def described_by(field) -> str:
    """The ids of the field's error and help texts, space separated ("" when neither is shown).
    The error first: it is what the clerk must act on."""
    ids = []
    if field.errors:
        ids.append(error_id(field))
    if field.help_text:
        ids.append(help_id(field))
    return " ".join(ids)


@register.filter
def requirement(field, marker: str = "") -> str:
    """"required" (必須), "optional" (任意) or "" for the label's marker. A required field says
    必須; the page says marker="required" for a field its form checks itself (intake validates
    its fields together, so Django sees them as not required) and marker="optional" for the
    任意 of a form that has required fields too (a search form of optional filters says nothing)."""
    if marker in ("required", "optional", "none"):
        return "" if marker == "none" else marker
    return "required" if field.field.required else ""


@register.filter
def described_widget(field, marker: str = ""):
    # A group (radios, checkboxes) is described on its fieldset, not on every option.
    ids = "" if field.use_fieldset else described_by(field)
    attrs = {"aria-describedby": ids} if ids else {}
    if field.errors:
        attrs["aria-invalid"] = "true"
    if not field.use_fieldset and requirement(field, marker) == "required":
        attrs["aria-required"] = "true"  # the 必須 marker is visual; this is what a screen reader says
    widget = field.field.widget
    saved = widget.attrs.pop("aria-describedby", None)  # left by older describe_errors(); the ids are ours
    try:
        return field.as_widget(attrs=attrs)
    finally:
        if saved is not None:
            widget.attrs["aria-describedby"] = saved
