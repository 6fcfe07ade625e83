"""Forms for the documentation pages: they parse and explain; the domain actions decide and write.

Choices are built from what the reader may see (their teams, the people of their cases, the
events and sources visible to them), so a select list never offers, nor names, anything else.
People are chosen by codename only: names never appear in a select list.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import ModelChoiceIterator
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from corridor.accounts.models import Team, User
from corridor.cases.forms_workflow import CodenameChoiceField
from corridor.cases.models import DatePrecision, Person
from corridor.documentation.domain import vocabulary
from corridor.documentation.models import (
    Act,
    Confidentiality,
    Degree,
    EndStatus,
    Event,
    HowKnown,
    Perpetrator,
    PerpetratorKind,
    Reliability,
    Source,
    SourceKind,
    Term,
    Vocabulary,
)
from corridor.keys.fields import preload_keys

TITLE_MAX = 300
TEXT_MAX = 20_000
NOTE_MAX = 4000


def _date() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _text(label: Any, max_length: int, help_text: Any = "", rows: int = 3, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=max_length, widget=forms.Textarea(attrs={"rows": rows}), help_text=help_text
    )


def term_label(term: Term, language: str | None = None) -> str:
    """A term in the page's language, else English, else its code."""
    return vocabulary.label(term, language or get_language() or "en")


class SeenMixin:
    """The `updated` stamp of the record the page showed, sent back with an edit: the action
    refuses a change made from an older copy (Conflict). A string in a hidden field, because a
    DateTimeField's widget would drop the microseconds the comparison needs."""

    def seen_initial(self, record: Any) -> dict[str, str]:
        stamp = getattr(record, "updated", None)
        return {"seen": stamp.isoformat()} if stamp else {}

    def clean_seen(self) -> datetime.datetime | None:
        value = str(self.cleaned_data.get("seen") or "")  # type: ignore[attr-defined]  # mixed into a Form, which has cleaned_data
        if not value:
            return None
        try:
            return datetime.datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(_("This page is out of date: open it again.")) from None


def _seen_field() -> forms.CharField:
    return forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)


class TermChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # generic only in django-stubs; not subscriptable at runtime
    def label_from_instance(self, obj: Any) -> str:
        return term_label(obj)


class PreloadingIterator(ModelChoiceIterator):  # type: ignore[type-arg]  # generic only in django-stubs; not subscriptable at runtime
    """Choices of encrypted records with every data key unwrapped in one keyring call, instead
    of one call per option as each label is decrypted (a select of 300 sources, say)."""

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        rows = list(self.queryset.select_related("data_key"))
        preload_keys(rows)
        for row in rows:
            yield self.choice(row)


class TitleChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # generic only in django-stubs; not subscriptable at runtime
    """An event or a source by its (decrypted) title and date; the queryset is the reader's own."""

    iterator = PreloadingIterator

    def label_from_instance(self, obj: Any) -> str:
        when = getattr(obj, "start", None) or getattr(obj, "published", None)
        return f"{obj.title} ({when:%Y-%m-%d})" if when else str(obj.title)


class PerpetratorChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # generic only in django-stubs; not subscriptable at runtime
    iterator = PreloadingIterator

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


class PerpetratorsField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]  # generic only in django-stubs; not subscriptable at runtime
    iterator = PreloadingIterator

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


def _region_field() -> forms.CharField:
    return forms.CharField(
        label=_("Region"),
        max_length=80,
        required=False,
        help_text=_("Stored unencrypted for filters and statistics: a broad region only, never a town or an address."),
    )


def _check_range(form: forms.Form, start: str, end: str) -> None:
    """The end of a period is not before its start, and nothing that happened is in the future."""
    data = form.cleaned_data
    today = timezone.localdate()
    for name in (start, end):
        value = data.get(name)
        if isinstance(value, datetime.date) and value > today:
            form.add_error(name, _("This date is in the future: give the date it happened, or leave it empty."))
    first, last = data.get(start), data.get(end)
    if isinstance(first, datetime.date) and isinstance(last, datetime.date) and last < first:
        form.add_error(end, _("The end date is before the start date."))


# -- events ------------------------------------------------------------------------------------


class EventFilterForm(forms.Form):
    """The events list's filters (a GET form: no free text, so nothing typed reaches a log)."""

    act_type = TermChoiceField(label=_("Type of act"), queryset=Term.objects.none(), required=False, empty_label=_("Any"))
    region = forms.ChoiceField(label=_("Region"), choices=(), required=False)
    after = forms.DateField(label=_("From"), required=False, widget=_date())
    before = forms.DateField(label=_("Until"), required=False, widget=_date())

    def __init__(self, *args: Any, regions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["act_type"].queryset = Term.objects.filter(vocabulary=Vocabulary.ACT_TYPE)  # type: ignore[attr-defined]  # fields[] is typed Field; this one is a ModelChoiceField
        region: Any = self.fields["region"]
        region.choices = [("", _("Any")), *((r, r) for r in regions)]
        if not regions:
            del self.fields["region"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        after, before = data.get("after"), data.get("before")
        if after and before and before < after:
            self.add_error("before", _("The end of the period is before its start."))
        return data


EVENT_FIELDS = (
    "title",
    "start",
    "start_precision",
    "end",
    "end_precision",
    "region",
    "place",
    "description",
    "confidentiality",
)


class EventForm(SeenMixin, forms.Form):
    seen = _seen_field()
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), empty_label=None)
    title = forms.CharField(
        label=_("Title"), max_length=TITLE_MAX, help_text=_("Encrypted. For example: detention at the Argun police station.")
    )
    start = forms.DateField(label=_("From"), widget=_date())
    start_precision = forms.ChoiceField(label=_("How exact is the start?"), choices=DatePrecision.choices)
    end = forms.DateField(
        label=_("Until"), required=False, widget=_date(), help_text=_("Leave empty when it lasted one day or is still going on.")
    )
    end_precision = forms.ChoiceField(label=_("How exact is the end?"), choices=DatePrecision.choices)
    region = _region_field()
    place = _text(_("Exact place"), 1000, _("Encrypted: the address, the building, the village."), rows=2)
    description = _text(_("Description"), TEXT_MAX, _("Encrypted."), rows=6)
    confidentiality = forms.ChoiceField(
        label=_("Confidentiality"), choices=Confidentiality.choices, initial=Confidentiality.INTERNAL
    )

    def __init__(self, *args: Any, user: User, event: Event | None = None, **kwargs: Any) -> None:
        if event is not None:
            initial = {name: getattr(event, name) for name in EVENT_FIELDS} | {"team": event.team_id}
            kwargs.setdefault("initial", initial | self.seen_initial(event))
        super().__init__(*args, **kwargs)
        team: Any = self.fields["team"]
        team.queryset = Team.objects.filter(members=user).order_by("name")
        if event is not None:
            del self.fields["team"]  # an event stays with the team that recorded it
        if not getattr(settings, "CORRIDOR_REGION_IN_CLEAR", False):
            del self.fields["region"]  # the one place kept in clear; only when the organisation chose so

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_range(self, "start", "end")
        return data

    def values(self) -> dict[str, Any]:
        """The event's fields as the domain action takes them (without the team)."""
        data = self.cleaned_data
        values = {name: data.get(name) for name in EVENT_FIELDS if name in self.fields}
        for name in ("place", "description"):
            values[name] = (values[name] or "").strip() or None
        values["title"] = str(values["title"]).strip()
        if "region" in values:
            values["region"] = (values["region"] or "").strip()
        return values


class ChainForm(forms.Form):
    follows = TitleChoiceField(
        label=_("This event follows"), queryset=Event.objects.none(), required=False, empty_label=_("No earlier event")
    )

    def __init__(self, *args: Any, events: QuerySet[Event], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["follows"].queryset = events  # type: ignore[attr-defined]  # fields[] is typed Field; this one is a ModelChoiceField


# -- acts and involvements --------------------------------------------------------------------------

ACT_FIELDS = (
    "act_type",
    "methods",
    "start",
    "start_precision",
    "end",
    "end_precision",
    "place",
    "stated_reason",
    "physical_consequences",
    "psychological_consequences",
    "end_status",
)


def method_choices(language: str | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
    """Active methods grouped under the type of act they belong to, for grouped checkboxes."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for method in Term.objects.filter(vocabulary=Vocabulary.METHOD, active=True).select_related("parent"):
        group = term_label(method.parent, language) if method.parent else str(_("Other methods"))
        groups.setdefault(group, []).append((str(method.pk), term_label(method, language)))
    return [(group, sorted(items, key=lambda item: item[1])) for group, items in sorted(groups.items())]


class ActForm(SeenMixin, forms.Form):
    seen = _seen_field()
    victim = CodenameChoiceField(
        label=_("Victim"),
        queryset=Person.objects.none(),
        help_text=_("People of the cases you can see, by codename. Add the person to a case first if they are not here."),
    )
    act_type = TermChoiceField(label=_("Type of act"), queryset=Term.objects.none())
    methods = forms.TypedMultipleChoiceField(
        label=_("Methods"), choices=(), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    start = forms.DateField(label=_("From"), required=False, widget=_date())
    start_precision = forms.ChoiceField(label=_("How exact is the start?"), choices=DatePrecision.choices)
    end = forms.DateField(label=_("Until"), required=False, widget=_date())
    end_precision = forms.ChoiceField(label=_("How exact is the end?"), choices=DatePrecision.choices)
    place = _text(_("Place of the act"), 1000, _("Encrypted."), rows=2)
    stated_reason = _text(_("Reason the perpetrators gave"), NOTE_MAX, _("Encrypted."))
    physical_consequences = _text(_("Physical consequences"), NOTE_MAX, _("Encrypted."))
    psychological_consequences = _text(_("Psychological consequences"), NOTE_MAX, _("Encrypted."))
    end_status = forms.ChoiceField(label=_("Status at the end of the act"), choices=EndStatus.choices, initial=EndStatus.UNKNOWN)

    def __init__(self, *args: Any, people: QuerySet[Person], act: Act | None = None, **kwargs: Any) -> None:
        if act is not None:
            initial = {name: getattr(act, name) for name in ACT_FIELDS if name != "methods"}
            initial |= {"victim": act.victim_id, "act_type": act.act_type_id, "methods": [m.pk for m in act.methods.all()]}
            kwargs.setdefault("initial", initial | self.seen_initial(act))
        super().__init__(*args, **kwargs)
        self.fields["victim"].queryset = people.order_by("codename")  # type: ignore[attr-defined]  # fields[] is typed Field; this one is a ModelChoiceField
        self.fields["act_type"].queryset = Term.objects.filter(vocabulary=Vocabulary.ACT_TYPE, active=True)  # type: ignore[attr-defined]  # fields[] is typed Field; this one is a ModelChoiceField
        methods: Any = self.fields["methods"]
        methods.choices = method_choices()
        if act is not None:
            del self.fields["victim"]  # the victim is who the act was done to; a new act for another

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_range(self, "start", "end")
        act_type, chosen = data.get("act_type"), data.get("methods") or []
        methods = list(Term.objects.filter(pk__in=chosen, vocabulary=Vocabulary.METHOD))
        if act_type is not None:
            foreign = [term_label(m) for m in methods if m.parent_id not in (None, act_type.pk)]
            if foreign:
                self.add_error(
                    "methods",
                    _("These methods belong to another type of act: %(methods)s.") % {"methods": ", ".join(sorted(foreign))},
                )
        data["methods"] = methods
        return data

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {name: data.get(name) for name in ACT_FIELDS}
        for name in ("place", "stated_reason", "physical_consequences", "psychological_consequences"):
            values[name] = (values[name] or "").strip() or None
        return values


class InvolvementForm(forms.Form):
    act = forms.ChoiceField(label=_("Act"), choices=())
    perpetrator = PerpetratorChoiceField(label=_("Perpetrator"), queryset=Perpetrator.objects.none())
    degree = forms.ChoiceField(label=_("Degree of involvement"), choices=Degree.choices, initial=Degree.ALLEGED)
    note = _text(_("Note"), NOTE_MAX, _("Encrypted."), rows=2)

    def __init__(self, *args: Any, acts: list[tuple[str, str]], perpetrators: QuerySet[Perpetrator], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        act: Any = self.fields["act"]
        act.choices = acts
        self.fields["perpetrator"].queryset = perpetrators  # type: ignore[attr-defined]  # fields[] is typed Field; this one is a ModelChoiceField


# -- perpetrators ----------------------------------------------------------------------------------

PERPETRATOR_FIELDS = ("kind", "name", "description", "part_of")


class PerpetratorForm(SeenMixin, forms.Form):
    seen = _seen_field()
    kind = forms.ChoiceField(label=_("Kind"), choices=PerpetratorKind.choices)
    name = forms.CharField(
        label=_("Name"), max_length=TITLE_MAX, help_text=_("Encrypted. A person's name, a unit's designation or an institution.")
    )
    description = _text(_("Description"), NOTE_MAX, _("Encrypted: rank, position, what is known about them."))
    part_of = PerpetratorChoiceField(
        label=_("Part of"),
        queryset=Perpetrator.objects.none(),
        required=False,
        help_text=_("The unit a person served in, the institution a unit belongs to."),
    )

    def __init__(
        self, *args: Any, perpetrators: QuerySet[Perpetrator], perpetrator: Perpetrator | None = None, **kwargs: Any
    ) -> None:
        if perpetrator is not None:
            initial = {name: getattr(perpetrator, name) for name in PERPETRATOR_FIELDS}
            kwargs.setdefault("initial", initial | self.seen_initial(perpetrator))
            perpetrators = perpetrators.exclude(pk=perpetrator.pk)
        super().__init__(*args, **kwargs)
        self.fields["part_of"].queryset = perpetrators  # type: ignore[attr-defined]  # fields[] is typed Field; this one is a ModelChoiceField

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "name": data["name"].strip(),
            "description": (data.get("description") or "").strip() or None,
            "part_of": data.get("part_of"),
        }


# -- sources and information ----------------------------------------------------------------------

SOURCE_FIELDS = ("kind", "person", "title", "text", "url", "author", "published", "derived_from")


class SourceForm(SeenMixin, forms.Form):
    seen = _seen_field()
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), empty_label=None)
    kind = forms.ChoiceField(label=_("Kind of source"), choices=SourceKind.choices)
    person = CodenameChoiceField(
        label=_("Given by"),
        queryset=Person.objects.none(),
        required=False,
        help_text=_("For a testimony: the person who gave it, among the people of your cases."),
    )
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX, help_text=_("Encrypted."))
    text = _text(_("Text"), TEXT_MAX, _("Encrypted. The words of the source: near-duplicate detection compares them."), rows=8)
    url = forms.CharField(label=_("Address (URL)"), max_length=2000, required=False, help_text=_("Encrypted."))
    author = forms.CharField(label=_("Author or outlet"), max_length=TITLE_MAX, required=False, help_text=_("Encrypted."))
    published = forms.DateField(label=_("Published or recorded on"), required=False, widget=_date())
    derived_from = TitleChoiceField(
        label=_("Derived from"),
        queryset=Source.objects.none(),
        required=False,
        empty_label=_("An original source"),
        help_text=_("A report that repeats or copies another source: corroboration counts them once."),
    )

    def __init__(
        self,
        *args: Any,
        user: User,
        people: QuerySet[Person],
        sources: QuerySet[Source],
        source: Source | None = None,
        **kwargs: Any,
    ) -> None:
        if source is not None:
            initial = {name: getattr(source, name) for name in SOURCE_FIELDS}
            initial |= {"person": source.person_id, "derived_from": source.derived_from_id}
            kwargs.setdefault("initial", initial | self.seen_initial(source))
            sources = sources.exclude(pk=source.pk)
        super().__init__(*args, **kwargs)
        team: Any = self.fields["team"]
        team.queryset = Team.objects.filter(members=user).order_by("name")
        self.fields["person"].queryset = people.order_by("codename")  # type: ignore[attr-defined]  # fields[] is typed Field; this one is a ModelChoiceField
        self.fields["derived_from"].queryset = sources  # type: ignore[attr-defined]  # fields[] is typed Field; this one is a ModelChoiceField
        if source is not None and source.person_id and not people.filter(pk=source.person_id).exists():
            # Given by someone whose case the editor cannot see: kept as it is, never offered.
            del self.fields["person"]
        if source is not None:
            del self.fields["team"]  # a source stays with the team that recorded it
            del self.fields["derived_from"]  # changed on the source's page (mark_derived refuses loops)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        published = data.get("published")
        if published and published > timezone.localdate():
            self.add_error("published", _("This date is in the future."))
        if data.get("kind") == SourceKind.TESTIMONY and "person" in self.fields and not data.get("person"):
            self.add_error("person", _("A testimony is given by a person: choose them."))
        url = (data.get("url") or "").strip()
        if url and not url.lower().startswith(("http://", "https://")):
            self.add_error("url", _("An address starts with http:// or https://."))
        return data

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {name: data.get(name) for name in SOURCE_FIELDS if name in self.fields}
        for name in ("text", "url", "author"):
            values[name] = (values[name] or "").strip() or None
        values["title"] = str(values["title"]).strip()
        return values


class DerivedForm(forms.Form):
    derived_from = TitleChoiceField(
        label=_("Derived from"),
        queryset=Source.objects.none(),
        required=False,
        empty_label=_("An original source"),
        help_text=_("A report that repeats or copies another source: corroboration counts them once."),
    )

    def __init__(self, *args: Any, sources: QuerySet[Source], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["derived_from"].queryset = sources  # type: ignore[attr-defined]  # fields[] is typed Field; this one is a ModelChoiceField


class InformationForm(forms.Form):
    source = TitleChoiceField(label=_("Source"), queryset=Source.objects.none())
    target = forms.ChoiceField(label=_("What it is about"), choices=())
    how_known = forms.ChoiceField(label=_("How the source knows"), choices=HowKnown.choices)
    reliability = forms.ChoiceField(label=_("Reliability"), choices=Reliability.choices, initial=Reliability.UNKNOWN)
    reported_start = forms.DateField(label=_("Date the source gives"), required=False, widget=_date())
    reported_end = forms.DateField(label=_("End date the source gives"), required=False, widget=_date())
    reported_place = forms.CharField(
        label=_("Place the source gives"), max_length=1000, required=False, help_text=_("Encrypted.")
    )
    reported_perpetrators = PerpetratorsField(
        label=_("Perpetrators the source names"),
        queryset=Perpetrator.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = _text(_("Note"), NOTE_MAX, _("Encrypted."), rows=2)

    def __init__(
        self,
        *args: Any,
        sources: QuerySet[Source],
        targets: list[tuple[str, str]],
        perpetrators: QuerySet[Perpetrator],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = sources  # type: ignore[attr-defined]  # fields[] is typed Field; this one is a ModelChoiceField
        target: Any = self.fields["target"]
        target.choices = targets
        self.fields["reported_perpetrators"].queryset = perpetrators  # type: ignore[attr-defined]  # fields[] is typed Field; this one is a ModelChoiceField

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_range(self, "reported_start", "reported_end")
        return data

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "how_known": data["how_known"],
            "reliability": data["reliability"],
            "reported_start": data.get("reported_start"),
            "reported_end": data.get("reported_end"),
            "reported_place": (data.get("reported_place") or "").strip() or None,
            "reported_perpetrators": list(data.get("reported_perpetrators") or []),
            "note": (data.get("note") or "").strip() or None,
        }


# -- evidence ---------------------------------------------------------------------------------------


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "A photo (JPEG, PNG, WebP), a PDF or a plain text file. Its SHA-256 is taken as received; location, camera details and authors are removed before it is stored."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf,text/plain"}),
    )
    source = TitleChoiceField(
        label=_("From the source"), queryset=Source.objects.none(), required=False, empty_label=_("No source")
    )
    description = _text(_("Description"), NOTE_MAX, _("Encrypted."), rows=2)

    def __init__(self, *args: Any, sources: QuerySet[Source], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = sources  # type: ignore[attr-defined]  # fields[] is typed Field; this one is a ModelChoiceField


class RedactedCopyForm(forms.Form):
    file = forms.FileField(
        label=_("Redacted copy"),
        help_text=_("The same evidence with faces, names or places blacked out, for sharing. The original stays as it is."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf,text/plain"}),
    )
    note = _text(
        _("What was redacted, and for whom"),
        NOTE_MAX,
        _("Encrypted. Goes into the chain of custody of both files."),
        rows=2,
        required=True,
    )


class CustodyForm(forms.Form):
    action = forms.ChoiceField(
        label=_("What happened to the file"), choices=[("exported", _("exported")), ("handed_over", _("handed over"))]
    )
    note = _text(_("To whom or where, and why"), NOTE_MAX, _("Encrypted."), rows=2, required=True)


# -- vocabulary --------------------------------------------------------------------------------------


def _label_fields() -> list[tuple[str, str, Any]]:
    return [(f"label_{code}", code, name) for code, name in settings.LANGUAGES]


class TermForm(forms.Form):
    """A term with its label in every language the pages speak (one field per language)."""

    vocabulary = forms.ChoiceField(label=_("Vocabulary"), choices=Vocabulary.choices)
    code = forms.SlugField(
        label=_("Code"),
        max_length=60,
        help_text=_("Stable, for exports and the API: lower-case Latin letters, digits, - and _, e.g. electric_shock."),
    )
    parent = TermChoiceField(
        label=_("Belongs to the type of act"), queryset=Term.objects.none(), required=False, help_text=_("For a method only.")
    )
    active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args: Any, term: Term | None = None, **kwargs: Any) -> None:
        if term is not None:
            initial: dict[str, Any] = {
                "vocabulary": term.vocabulary,
                "code": term.code,
                "parent": term.parent_id,
                "active": term.active,
            }
            initial |= {field: (term.labels or {}).get(code, "") for field, code, _name in _label_fields()}
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Term.objects.filter(vocabulary=Vocabulary.ACT_TYPE)  # type: ignore[attr-defined]  # fields[] is typed Field; this one is a ModelChoiceField
        for field, _code, name in _label_fields():
            self.fields[field] = forms.CharField(label=_("Label in %(language)s") % {"language": name}, max_length=200)
        if term is not None:
            del self.fields["vocabulary"]
            del self.fields["code"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        vocabulary = data.get("vocabulary")
        if vocabulary == Vocabulary.ACT_TYPE and data.get("parent") is not None:
            self.add_error("parent", _("A type of act belongs to no other type; only methods do."))
        return data

    def labels(self) -> dict[str, str]:
        return {code: self.cleaned_data[field].strip() for field, code, _name in _label_fields()}


# -- exchange with partners ----------------------------------------------------------------------------


class ExportForm(forms.Form):
    FORMATS = [
        ("uwazi-events", _("Uwazi CSV: events")),
        ("uwazi-acts", _("Uwazi CSV: acts")),
        ("uwazi-sources", _("Uwazi CSV: sources")),
        ("huridocs", _("JSON in the HURIDOCS events formats")),
    ]
    audience = forms.ChoiceField(
        label=_("Who it is for"),
        choices=[("partner", _("a partner organisation")), ("public", _("publication"))],
        widget=forms.RadioSelect,
        initial="partner",
    )
    partner = forms.CharField(
        label=_("Partner organisation"),
        max_length=200,
        required=False,
        help_text=_("As written in the victims' consent to share: only acts whose victim agreed to share with this partner go."),
    )
    format = forms.ChoiceField(label=_("Format"), choices=FORMATS, widget=forms.RadioSelect, initial="uwazi-events")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("audience") == "partner" and not (data.get("partner") or "").strip():
            self.add_error("partner", _("Name the partner the export is for: consent to share names a partner."))
        return data


class ImportForm(forms.Form):
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), empty_label=None)
    reports = forms.CharField(
        label=_("Media reports"),
        widget=forms.Textarea(attrs={"rows": 12}),
        max_length=2_000_000,
        help_text=_("CSV with a header line: title, text, address (one report per line). Nothing is saved until you confirm."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team: Any = self.fields["team"]
        team.queryset = Team.objects.filter(members=user).order_by("name")

    def clean_reports(self) -> str:
        value = str(self.cleaned_data["reports"])
        if not value.strip():
            raise ValidationError(_("Paste at least one report."))
        return value
