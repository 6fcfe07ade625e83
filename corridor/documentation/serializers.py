"""API shapes for documentation: what goes in, what comes out.

Input serializers only parse and bound the input (types, enums, lengths); every rule about the
data lives in the domain actions. Output never names a victim or a testimony-giver whose case
the reader cannot see: `PersonRef` carries the label from access.person_labels and an id only
when the person is visible (the view fills `context["labels"]` and `context["visible"]`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from corridor.cases.models import DatePrecision
from corridor.cases.serializers import BIGINT_MAX, LONG_TEXT_MAX, NAME_MAX, SHORT_TEXT_MAX, Text
from corridor.documentation.domain.sources import MAX_SOURCE_TEXT as MAX_TEXT
from corridor.documentation.domain.vocabulary import label
from corridor.documentation.models import (
    Confidentiality,
    Degree,
    EndStatus,
    HowKnown,
    PerpetratorKind,
    Reliability,
    SourceKind,
    Term,
    Vocabulary,
)

TITLE_MAX = 300
CODE_MAX = 60


def _language(serializer: serializers.Field[Any, Any, Any, Any] | serializers.BaseSerializer[Any]) -> str:
    return str(serializer.context.get("language") or settings.LANGUAGE_CODE)[:2]


# -- shared pieces --------------------------------------------------------------------------------


class PersonRefSerializer(serializers.Serializer):
    """A victim or testimony-giver as this reader may know them: id null and a neutral label when
    their case is not visible to the reader."""

    id = serializers.UUIDField(allow_null=True)
    label = serializers.CharField()


M = TypeVar("M", bound=Callable[..., Any])


def _schema_field(field: Any) -> Callable[[M], M]:
    """drf-spectacular's extend_schema_field with its type said (the library is not type-checked here)."""
    decorator: Callable[[M], M] = extend_schema_field(field)
    return decorator


# What a SerializerMethodField naming a person says in the schema.
person_field = _schema_field(PersonRefSerializer(allow_null=True))
codes_field = _schema_field(serializers.ListField(child=serializers.CharField()))
ids_field = _schema_field(serializers.ListField(child=serializers.UUIDField()))


def person_ref(serializer: Any, person_id: Any) -> dict[str, Any] | None:
    if person_id is None:
        return None
    labels: dict[Any, str] = serializer.context.get("labels", {})
    visible: set[Any] = serializer.context.get("visible", set())
    return {"id": person_id if person_id in visible else None, "label": labels.get(person_id, "")}


class TermSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    vocabulary = serializers.ChoiceField(choices=Vocabulary.choices)
    code = serializers.CharField()
    labels = serializers.DictField(child=serializers.CharField())
    label = serializers.SerializerMethodField()
    parent = serializers.CharField(
        source="parent.code", allow_null=True, help_text="The code of the type of act a method belongs to."
    )
    active = serializers.BooleanField()

    def get_label(self, term: Term) -> str:
        return label(term, _language(self))


class TermLabelsSerializer(serializers.Serializer):
    en = Text(max_length=120)
    ru = Text(max_length=120, required=False, allow_blank=True)


class TermCreateSerializer(serializers.Serializer):
    vocabulary = serializers.ChoiceField(choices=Vocabulary.choices)
    code = Text(max_length=CODE_MAX)
    labels = TermLabelsSerializer()
    parent = Text(
        max_length=CODE_MAX, required=False, allow_null=True, help_text="The code of the type of act a method belongs to."
    )


class Flag(serializers.BooleanField):
    """true or false only: DRF would take 0, "yes" or "off" too, which the schema does not."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return bool(data)


class TermUpdateSerializer(serializers.Serializer):
    labels = TermLabelsSerializer(required=False)
    active = Flag(required=False)


# -- events ---------------------------------------------------------------------------------------


class EventRecordSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    team = serializers.IntegerField(source="team_id", read_only=True)
    title = serializers.CharField()
    start = serializers.DateField()
    start_precision = serializers.ChoiceField(choices=DatePrecision.choices)
    end = serializers.DateField(allow_null=True)
    end_precision = serializers.ChoiceField(choices=DatePrecision.choices)
    region = serializers.CharField()
    place = serializers.CharField(allow_null=True)
    description = serializers.CharField(allow_null=True)
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices)
    follows = serializers.UUIDField(source="follows_id", allow_null=True)
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField(help_text="Send it back as `seen` with a change: a change from an older copy is a 409.")


class EventWriteSerializer(serializers.Serializer):
    title = Text(max_length=TITLE_MAX)
    start = serializers.DateField()
    start_precision = serializers.ChoiceField(choices=DatePrecision.choices, required=False)
    end = serializers.DateField(required=False, allow_null=True)
    end_precision = serializers.ChoiceField(choices=DatePrecision.choices, required=False)
    region = Text(max_length=80, required=False, allow_blank=True)
    place = Text(max_length=SHORT_TEXT_MAX, required=False, allow_blank=True)
    description = Text(max_length=LONG_TEXT_MAX, required=False, allow_blank=True)
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, required=False)


class EventCreateSerializer(EventWriteSerializer):
    team = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX)
    follows = serializers.UUIDField(required=False, allow_null=True)


class EventUpdateSerializer(EventWriteSerializer):
    seen = serializers.DateTimeField(
        required=False, allow_null=True, help_text="The `updated` you read; a change from an older copy is a 409."
    )


class EventFilterSerializer(serializers.Serializer):
    act_type = Text(max_length=CODE_MAX, required=False, help_text="The code of a type of act.")
    region = Text(max_length=80, required=False)
    after = serializers.DateField(required=False, help_text="Events that end on or after this day.")
    before = serializers.DateField(required=False, help_text="Events that start on or before this day.")
    page = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX, required=False)


class ChainSerializer(serializers.Serializer):
    follows = serializers.UUIDField(allow_null=True, help_text="The event this one follows; null to unlink.")


# -- acts and involvements --------------------------------------------------------------------------


class InvolvementSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    act = serializers.UUIDField(source="act_id", read_only=True)
    perpetrator = serializers.UUIDField(source="perpetrator_id")
    perpetrator_name = serializers.CharField(source="perpetrator.name", read_only=True)
    degree = serializers.ChoiceField(choices=Degree.choices)
    note = serializers.CharField(allow_null=True)


class InvolvementCreateSerializer(serializers.Serializer):
    perpetrator = serializers.UUIDField()
    degree = serializers.ChoiceField(choices=Degree.choices, required=False)
    note = Text(max_length=SHORT_TEXT_MAX, required=False, allow_blank=True)


class ActSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    event = serializers.UUIDField(source="event_id")
    victim = serializers.SerializerMethodField()
    act_type = serializers.CharField(source="act_type.code")
    methods = serializers.SerializerMethodField()
    start = serializers.DateField(allow_null=True)
    start_precision = serializers.ChoiceField(choices=DatePrecision.choices)
    end = serializers.DateField(allow_null=True)
    end_precision = serializers.ChoiceField(choices=DatePrecision.choices)
    place = serializers.CharField(allow_null=True)
    stated_reason = serializers.CharField(allow_null=True)
    physical_consequences = serializers.CharField(allow_null=True)
    psychological_consequences = serializers.CharField(allow_null=True)
    end_status = serializers.ChoiceField(choices=EndStatus.choices)
    updated = serializers.DateTimeField()

    @person_field
    def get_victim(self, act: Any) -> dict[str, Any] | None:
        return person_ref(self, act.victim_id)

    @codes_field
    def get_methods(self, act: Any) -> list[str]:
        return sorted(term.code for term in act.methods.all())


class ActWriteSerializer(serializers.Serializer):
    act_type = Text(max_length=CODE_MAX, help_text="The code of a type of act (see vocabulary/).")
    methods = serializers.ListField(child=Text(max_length=CODE_MAX), required=False, max_length=30)
    start = serializers.DateField(required=False, allow_null=True)
    start_precision = serializers.ChoiceField(choices=DatePrecision.choices, required=False)
    end = serializers.DateField(required=False, allow_null=True)
    end_precision = serializers.ChoiceField(choices=DatePrecision.choices, required=False)
    place = Text(max_length=SHORT_TEXT_MAX, required=False, allow_blank=True)
    stated_reason = Text(max_length=SHORT_TEXT_MAX, required=False, allow_blank=True)
    physical_consequences = Text(max_length=LONG_TEXT_MAX, required=False, allow_blank=True)
    psychological_consequences = Text(max_length=LONG_TEXT_MAX, required=False, allow_blank=True)
    end_status = serializers.ChoiceField(choices=EndStatus.choices, required=False)


class ActCreateSerializer(ActWriteSerializer):
    victim = serializers.UUIDField(help_text="A person in a case you can see.")


class ActUpdateSerializer(ActWriteSerializer):
    seen = serializers.DateTimeField(
        required=False, allow_null=True, help_text="The `updated` you read; a change from an older copy is a 409."
    )


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    text = serializers.CharField()


class GroupSerializer(serializers.Serializer):
    sources = serializers.ListField(child=serializers.UUIDField(), help_text="Sources that count as one (a root and its copies).")


class CorroborationSerializer(serializers.Serializer):
    act = serializers.UUIDField()
    independent = serializers.IntegerField(help_text="Independent sources: copies of one original count once.")
    sources = serializers.IntegerField()
    first_hand = serializers.IntegerField(help_text="Independent sources with a first-hand account (victim or direct witness).")
    score = serializers.FloatField(
        allow_null=True, help_text="Consistency of dates, place and perpetrators, 0 to 1; null with nothing to compare."
    )
    reasons = ReasonSerializer(many=True)
    groups = GroupSerializer(many=True)


# -- perpetrators ------------------------------------------------------------------------------------


class PerpetratorSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    kind = serializers.ChoiceField(choices=PerpetratorKind.choices)
    name = serializers.CharField()
    description = serializers.CharField(allow_null=True)
    part_of = serializers.UUIDField(source="part_of_id", allow_null=True)
    updated = serializers.DateTimeField()


class PerpetratorWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PerpetratorKind.choices)
    name = Text(max_length=TITLE_MAX)
    description = Text(max_length=LONG_TEXT_MAX, required=False, allow_blank=True)
    part_of = serializers.UUIDField(required=False, allow_null=True)


class PerpetratorUpdateSerializer(PerpetratorWriteSerializer):
    seen = serializers.DateTimeField(
        required=False, allow_null=True, help_text="The `updated` you read; a change from an older copy is a 409."
    )


class AttributedActSerializer(serializers.Serializer):
    """An act attributed to a perpetrator, as the perpetrator page lists it."""

    act = serializers.UUIDField(source="act.pk")
    event = serializers.UUIDField(source="act.event_id")
    event_title = serializers.CharField(source="act.event.title")
    act_type = serializers.CharField(source="act.act_type.code")
    start = serializers.DateField(source="act.start", allow_null=True)
    degree = serializers.ChoiceField(choices=Degree.choices)
    victim = serializers.SerializerMethodField()

    @person_field
    def get_victim(self, involvement: Any) -> dict[str, Any] | None:
        return person_ref(self, involvement.act.victim_id)


class PerpetratorDetailSerializer(PerpetratorSerializer):
    acts = AttributedActSerializer(many=True, source="api_acts")


# -- sources and information -----------------------------------------------------------------------


class SourceListSerializer(serializers.Serializer):
    """A source in a list: everything but its text (a list does not carry every source's full text)."""

    id = serializers.UUIDField(read_only=True)
    team = serializers.IntegerField(source="team_id")
    kind = serializers.ChoiceField(choices=SourceKind.choices)
    person = serializers.SerializerMethodField()
    title = serializers.CharField()
    url = serializers.CharField(allow_null=True)
    author = serializers.CharField(allow_null=True)
    published = serializers.DateField(allow_null=True)
    derived_from = serializers.UUIDField(source="derived_from_id", allow_null=True)
    updated = serializers.DateTimeField()

    @person_field
    def get_person(self, source: Any) -> dict[str, Any] | None:
        return person_ref(self, source.person_id)


class SourceSerializer(SourceListSerializer):
    text = serializers.CharField(allow_null=True)


class SourceWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SourceKind.choices)
    person = serializers.UUIDField(
        required=False, allow_null=True, help_text="Who gave a testimony: a person in a case you can see."
    )
    title = Text(max_length=TITLE_MAX)
    text = Text(max_length=MAX_TEXT, required=False, allow_blank=True)
    url = Text(max_length=2_000, required=False, allow_blank=True)
    author = Text(max_length=NAME_MAX, required=False, allow_blank=True)
    published = serializers.DateField(required=False, allow_null=True)


class SourceCreateSerializer(SourceWriteSerializer):
    team = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX)
    derived_from = serializers.UUIDField(required=False, allow_null=True)


class SourceUpdateSerializer(SourceWriteSerializer):
    seen = serializers.DateTimeField(
        required=False, allow_null=True, help_text="The `updated` you read; a change from an older copy is a 409."
    )


class DerivedFromSerializer(serializers.Serializer):
    derived_from = serializers.UUIDField(allow_null=True, help_text="The source this one copies or retells; null: an original.")


class InformationSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    source = serializers.UUIDField(source="source_id")
    event = serializers.UUIDField(source="event_id", allow_null=True)
    act = serializers.UUIDField(source="act_id", allow_null=True)
    how_known = serializers.ChoiceField(choices=HowKnown.choices)
    reliability = serializers.ChoiceField(choices=Reliability.choices)
    reported_start = serializers.DateField(allow_null=True)
    reported_end = serializers.DateField(allow_null=True)
    reported_place = serializers.CharField(allow_null=True)
    reported_perpetrators = serializers.SerializerMethodField()
    note = serializers.CharField(allow_null=True)

    @ids_field
    def get_reported_perpetrators(self, information: Any) -> list[str]:
        return sorted(str(p.pk) for p in information.reported_perpetrators.all())


class InformationCreateSerializer(serializers.Serializer):
    event = serializers.UUIDField(required=False, allow_null=True, help_text="Either an event or an act, not both.")
    act = serializers.UUIDField(required=False, allow_null=True)
    how_known = serializers.ChoiceField(choices=HowKnown.choices)
    reliability = serializers.ChoiceField(choices=Reliability.choices, required=False)
    reported_start = serializers.DateField(required=False, allow_null=True)
    reported_end = serializers.DateField(required=False, allow_null=True)
    reported_place = Text(max_length=SHORT_TEXT_MAX, required=False, allow_blank=True)
    reported_perpetrators = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=50)
    note = Text(max_length=SHORT_TEXT_MAX, required=False, allow_blank=True)


class FlagSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[("copies", "copies"), ("identical_testimonies", "identical_testimonies")])
    text = serializers.CharField()
    similarity = serializers.FloatField()
    sources = serializers.ListField(child=serializers.UUIDField())


# -- evidence --------------------------------------------------------------------------------------


class CustodyEntrySerializer(serializers.Serializer):
    at = serializers.CharField()
    by = serializers.IntegerField(allow_null=True)
    action = serializers.CharField()
    note = serializers.CharField(allow_blank=True)


class EvidenceSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    event = serializers.UUIDField(source="event_id")
    source = serializers.UUIDField(source="source_id", allow_null=True)
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField(help_text="SHA-256 of the bytes as received, before metadata was stripped.")
    description = serializers.CharField(allow_null=True)
    redacted_from = serializers.UUIDField(source="redacted_from_id", allow_null=True)
    uploaded = serializers.DateTimeField()
    custody = CustodyEntrySerializer(many=True)


class CustodyCreateSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[("exported", "exported"), ("handed_over", "handed_over")])
    note = Text(max_length=SHORT_TEXT_MAX, help_text="To whom, or where, and why.")


# -- export and import -----------------------------------------------------------------------------


class ExportQuerySerializer(serializers.Serializer):
    audience = serializers.ChoiceField(choices=[("partner", "partner"), ("public", "public")])
    partner = Text(
        max_length=NAME_MAX, required=False, help_text="For a partner export: the partner the victims consented to share with."
    )


class MediaReportSerializer(serializers.Serializer):
    title = Text(max_length=TITLE_MAX)
    text = Text(max_length=MAX_TEXT, required=False, allow_blank=True)
    url = Text(max_length=2_000, required=False, allow_blank=True)
    author = Text(max_length=NAME_MAX, required=False, allow_blank=True)
    published = serializers.DateField(required=False, allow_null=True)


class MediaImportSerializer(serializers.Serializer):
    team = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX)
    reports = MediaReportSerializer(many=True, allow_empty=False, max_length=500)


class MatchSerializer(serializers.Serializer):
    source = serializers.UUIDField()
    similarity = serializers.FloatField()


class ImportedSerializer(serializers.Serializer):
    source = SourceListSerializer()
    matches = MatchSerializer(many=True, help_text="Sources this report nearly copies, for a person to judge.")


# -- lists in pages --------------------------------------------------------------------------------


def paginated(child: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The page a list endpoint answers with (count, next, previous, results), for the schema."""
    name = child.__name__.removesuffix("Serializer")
    fields = {
        "count": serializers.IntegerField(),
        "next": serializers.CharField(allow_null=True),
        "previous": serializers.CharField(allow_null=True),
        "results": child(many=True),
    }
    return type(f"Paginated{name}ListSerializer", (serializers.Serializer,), fields)


EventPageSerializer = paginated(EventRecordSerializer)
PerpetratorPageSerializer = paginated(PerpetratorSerializer)
SourcePageSerializer = paginated(SourceListSerializer)
