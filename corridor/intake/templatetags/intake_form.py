"""The intake forms' fields as HTML in one pass of Python: the help form's hot path.

Django renders each widget, and each radio button or tick box, through its own template;
a 20-question form made about 40 template renders per page (issue 18's bench). Here the
widgets' own contexts (Widget.get_context: values, checked state, ids) are written out
directly, with the same elements and attributes as Django's templates, plus the links
assistive technology needs (a fieldset names its help text and its error).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms, template
from django.forms.boundfield import BoundField
from django.forms.widgets import Input
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()


def _attrs(attrs: Mapping[str, Any]) -> str:
    """Attributes as django/forms/widgets/attrs.html writes them (False left out, True bare)."""
    parts = []
    for name, value in attrs.items():
        if value is False or value is None:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return "".join(parts)


def _input(widget: Mapping[str, Any]) -> str:
    value = widget.get("value")
    shown = f' value="{conditional_escape(str(value))}"' if value is not None else ""
    return f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'


def _widget(field: BoundField) -> str:
    """One field's control, as BoundField.as_widget() would render it (Django's fallback otherwise)."""
    widget = field.field.widget
    attrs = field.build_widget_attrs({}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    if isinstance(widget, forms.MultipleHiddenInput):
        return "".join(_input(sub) for sub in context["subwidgets"])
    if isinstance(widget, forms.ClearableFileInput):
        if context.get("is_initial"):
            return str(field)  # never on the intake: no file is ever handed back to a browser
        return "\n" + _input(context)
    if isinstance(widget, Input):
        return _input(context)
    if isinstance(widget, forms.Textarea):
        value = context.get("value")
        return f'<textarea name="{conditional_escape(context["name"])}"{_attrs(context["attrs"])}>\n{conditional_escape(value) if value else ""}</textarea>'
    return str(field)


def _optional(field: BoundField) -> str:
    return "" if field.field.required else f' <span class="optional">({conditional_escape(_("optional"))})</span>'


def _errors(field: BoundField) -> str:
    # The first error carries the id that the control's aria-describedby names.
    found = []
    for index, error in enumerate(field.errors):
        named = f' id="{conditional_escape(field.auto_id)}_error"' if index == 0 and field.auto_id else ""
        found.append(f'<p class="error" role="alert"{named}>{conditional_escape(str(error))}</p>')
    return "".join(found)


def _choices(field: BoundField) -> str:
    """A radio or tick-box question: a fieldset whose legend is the question."""
    described = [f"{conditional_escape(field.auto_id)}_helptext"] if field.help_text and field.auto_id else []
    if field.errors and field.auto_id:
        described.append(f"{conditional_escape(field.auto_id)}_error")
    aria = f' aria-describedby="{" ".join(described)}"' if described else ""
    options = "".join(
        f'<label class="choice" for="{conditional_escape(option.data["attrs"].get("id", ""))}">'
        f"{_input(option.data)} {conditional_escape(option.choice_label)}</label>"
        for option in field.subwidgets
    )
    return f"<fieldset{aria}><legend>{conditional_escape(field.label)}{_optional(field)}</legend>\n    {options}\n  </fieldset>"


def _field(field: BoundField) -> str:
    section = getattr(field.field, "section_before", "")
    heading = f'<h2 class="section">{conditional_escape(section)}</h2>\n' if section else ""
    if isinstance(field.field.widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
        control = _choices(field)
    else:
        control = (
            f'<label for="{conditional_escape(field.id_for_label)}">{conditional_escape(field.label)}{_optional(field)}</label>\n'
            f"  {_widget(field)}"
        )
    help_text = (
        f'<p class="help" id="{conditional_escape(field.auto_id)}_helptext">{conditional_escape(field.help_text)}</p>'
        if field.help_text
        else ""
    )
    css = "field has-error" if field.errors else "field"
    return f'{heading}<div class="{css}">\n  {control}\n  {help_text}{_errors(field)}\n</div>\n'


def render(fields: Iterable[BoundField]) -> str:
    hidden: list[str] = []
    visible: list[str] = []
    for field in fields:
        (hidden if field.is_hidden else visible).append(_widget(field) if field.is_hidden else _field(field))
    return "".join(hidden) + "\n" + "".join(visible)


@register.simple_tag
def intake_fields(form: forms.Form) -> SafeString:
    """The form's hidden fields, then each visible one with its label, help and errors."""
    # Every piece above is escaped where it is written; the joined markup is safe.
    return mark_safe(render(form))  # noqa: S308  # built from escaped parts only
