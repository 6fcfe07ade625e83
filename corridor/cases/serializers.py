"""API shapes for people, cases and their sub-records: what goes in, what comes out.

Input serializers only parse and bound the input (types, enums, lengths, no NUL bytes);
every rule about the data itself lives in domain.py. Output serializers never put
gender identity or orientation in a list (need to know, even inside one's team).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from corridor.cases.models import (
    ConsentScope,
    DatePrecision,
    DocumentsHeld,
    MemberRole,
    NeedKind,
    NeedStatus,
    Priority,
    RiskFactor,
    Status,
    VerificationMethod,
)

# Bounds keep a hostile client from filling encrypted columns with megabytes; they are
# far above anything a caseworker types.
NAME_MAX = 200
SHORT_TEXT_MAX = 2_000
LONG_TEXT_MAX = 20_000
# Primary keys of teams and users are bigints: bound them so PostgreSQL never overflows.
BIGINT_MAX = 2**63 - 1

NAME_KINDS = (("legal", _("legal")), ("used", _("used")), ("transliteration", _("transliteration")))
CONTACT_KINDS = (("signal", "Signal"), ("phone", _("phone")), ("relative", _("relative")), ("other", _("other")))


class Text(serializers.CharField):
    """A CharField that takes only strings: DRF would quietly turn 12 or true into text."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        # The schema's maxLength counts what was sent, before DRF trims the whitespace around it.
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return str(super().to_internal_value(data))


def _username(user: Any) -> str | None:
    return user.username if user is not None else None


# -- people --------------------------------------------------------------------------------


class _WholeItem(serializers.Serializer):
    """An item of a list is whole even in a PATCH: DRF passes `partial` down to nested items,
    which would skip their required fields and defaults and store `[{}]` (found by
    tests/test_fuzz_api.py: the person could then no longer be read)."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        missing = {
            name: [field.error_messages["required"]]
            for name, field in self.fields.items()
            if field.required and name not in attrs
        }
        if missing:
            raise serializers.ValidationError(missing)
        for name, field in self.fields.items():
            if name not in attrs and field.default is not empty:
                attrs[name] = field.get_default()
        return attrs


class PersonNameSerializer(_WholeItem):
    name = Text(max_length=NAME_MAX)
    kind = serializers.ChoiceField(choices=NAME_KINDS, default="used")


class PersonContactSerializer(_WholeItem):
    kind = serializers.ChoiceField(choices=CONTACT_KINDS)
    value = Text(max_length=NAME_MAX)
    note = Text(max_length=SHORT_TEXT_MAX, required=False, allow_blank=True)


class PersonWriteSerializer(serializers.Serializer):
    """Fields a caseworker may set; on PATCH any subset of them."""

    names = PersonNameSerializer(many=True, allow_empty=False, max_length=20)
    birth_date = serializers.DateField(required=False, allow_null=True)
    birth_precision = serializers.ChoiceField(choices=DatePrecision.choices, required=False)
    documents_held = serializers.ChoiceField(choices=DocumentsHeld.choices, required=False)
    passport_expiry = serializers.DateField(required=False, allow_null=True)
    contacts = PersonContactSerializer(many=True, required=False, max_length=20)
    region = Text(max_length=80, required=False, allow_blank=True)
    location = Text(max_length=SHORT_TEXT_MAX, required=False, allow_blank=True, allow_null=True)
    languages = serializers.ListField(child=Text(max_length=40), required=False, max_length=20)
    gender_identity = Text(max_length=NAME_MAX, required=False, allow_blank=True, allow_null=True)
    orientation = Text(max_length=NAME_MAX, required=False, allow_blank=True, allow_null=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not settings.CORRIDOR_REGION_IN_CLEAR:
            # Withheld exactly as on the person form: the region is the one location kept in clear.
            del self.fields["region"]

    def to_internal_value(self, data: Any) -> Any:
        if "region" not in self.fields and isinstance(data, dict) and data.get("region"):
            raise serializers.ValidationError(
                {"region": [_("This organisation does not keep a region unencrypted; write where the person is under location.")]}
            )
        return super().to_internal_value(data)


class PersonCreateSerializer(PersonWriteSerializer):
    """A person always belongs somewhere, as on the web form: a new case of one of the user's
    teams (`team`), or a case the user may change (`case`). A person on no case would be visible
    to nobody, their creator included (the 201 used to be followed by 404s)."""

    team = serializers.IntegerField(
        min_value=1,
        max_value=BIGINT_MAX,
        required=False,
        allow_null=True,
        help_text="One of your teams: a new case of it is opened with the person as its principal. Send this or case.",
    )
    case = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="A case you may change: the person joins it as a dependant. Send this or team.",
    )
    priority = serializers.ChoiceField(
        choices=Priority.choices, default=Priority.NORMAL, help_text="The new case's priority (with team only)."
    )
    summary = Text(
        max_length=LONG_TEXT_MAX, required=False, allow_blank=True, help_text="The new case's summary (with team only)."
    )
    confirm_not_duplicate = serializers.BooleanField(
        default=False, help_text="Set after checking the possible duplicates a 409 answer listed."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        team, case = attrs.get("team"), attrs.get("case")
        if team is None and case is None:
            raise serializers.ValidationError(
                {
                    "team": [
                        _("Say where the person belongs: send team (a new case of one of your teams) or case (an existing case).")
                    ]
                }
            )
        if team is not None and case is not None:
            raise serializers.ValidationError({"case": [_("Send team or case, not both.")]})
        if case is not None and (attrs.get("summary") or "").strip():
            raise serializers.ValidationError({"summary": [_("A summary belongs to a new case; send it with team only.")]})
        return attrs


class PersonListSerializer(serializers.Serializer):
    """What a list or a search shows: enough to recognise someone, nothing about who they love."""

    id = serializers.UUIDField()
    codename = Text()
    name = Text(source="primary_name")
    birth_precision = Text()
    documents_held = Text()
    region = Text()


class PersonSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    codename = Text()
    names = PersonNameSerializer(many=True)
    birth_date = serializers.DateField(allow_null=True)
    birth_precision = Text()
    documents_held = Text()
    passport_expiry = serializers.DateField(allow_null=True)
    contacts = PersonContactSerializer(many=True)
    region = Text()
    location = Text(allow_null=True)
    languages = serializers.ListField(child=Text())
    gender_identity = Text(allow_null=True)
    orientation = Text(allow_null=True)
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()


class PersonCreatedSerializer(PersonSerializer):
    case = serializers.UUIDField(help_text="The case the person is on now: the new one (with team) or the one given.")


class PossibleDuplicateSerializer(serializers.Serializer):
    id = serializers.UUIDField(
        allow_null=True,
        help_text="A person in one of your cases; a match in a case you cannot see is never listed (an administrator reviews it).",
    )
    codename = Text(allow_null=True)
    reason = Text()


class PersonDuplicateErrorSerializer(serializers.Serializer):
    code = Text()
    message = Text()
    fields = serializers.DictField(child=serializers.ListField(child=Text()))
    duplicates = PossibleDuplicateSerializer(many=True)


class PersonDuplicateResponseSerializer(serializers.Serializer):
    error = PersonDuplicateErrorSerializer()


class SearchQuerySerializer(serializers.Serializer):
    q = Text(
        max_length=NAME_MAX,
        required=False,
        allow_blank=True,
        help_text="Not accepted: search terms in a URL end up in logs. Any non-empty value answers 400; "
        "search with POST /api/v1/people/search/ instead.",
    )


class SearchBodySerializer(serializers.Serializer):
    q = Text(
        max_length=NAME_MAX,
        help_text="One or more name parts in any order and either script (a surname alone; a given name "
        "with a birth year, e.g. 'Islam 1990'), a codename or a phone.",
    )


# -- cases ---------------------------------------------------------------------------------


class CaseSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    reference = Text()
    status = serializers.ChoiceField(choices=Status.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    priority_review = serializers.DateField(allow_null=True)
    team = serializers.IntegerField(source="team_id")
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()


class CaseMemberSerializer(serializers.Serializer):
    person = serializers.UUIDField(source="person_id")
    codename = Text(source="person.codename")
    role = serializers.ChoiceField(choices=MemberRole.choices)


class CaseTimelineEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = Text()
    text = Text()
    by = serializers.SerializerMethodField()

    @extend_schema_field(Text(allow_null=True))  # type: ignore[untyped-decorator]  # drf-spectacular is not type-checked here (follow_imports = skip)
    def get_by(self, event: Any) -> str | None:
        return _username(event.by)


class CaseDetailSerializer(CaseSerializer):
    summary = Text(allow_null=True)
    members = CaseMemberSerializer(many=True, source="members.all")
    timeline = CaseTimelineEventSerializer(many=True, source="api_timeline")


class CaseFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    team = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX, required=False)
    owner = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX, required=False)


class CaseCreateSerializer(serializers.Serializer):
    principal = serializers.UUIDField()
    dependants = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=50)
    team = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    summary = Text(max_length=LONG_TEXT_MAX, required=False, allow_blank=True)


class CaseTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    reason = Text(max_length=SHORT_TEXT_MAX)


class CaseStatusChangeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    old = Text()
    new = Text()
    at = serializers.DateTimeField()
    by = serializers.IntegerField(source="by_id", allow_null=True)
    reason = Text()


# -- sub-records ---------------------------------------------------------------------------


class NoteSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    author = serializers.IntegerField(source="author_id", read_only=True, allow_null=True)
    created = serializers.DateTimeField(read_only=True)
    body = Text(max_length=LONG_TEXT_MAX)


class TaskSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    title = Text(max_length=SHORT_TEXT_MAX)
    assignee = serializers.IntegerField(source="assignee_id", min_value=1, max_value=BIGINT_MAX, required=False, allow_null=True)
    due = serializers.DateField(required=False, allow_null=True)
    urgent = serializers.BooleanField(read_only=True)
    done = serializers.DateTimeField(read_only=True, allow_null=True)
    overdue = serializers.BooleanField(read_only=True)
    created = serializers.DateTimeField(read_only=True)


class NeedSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    kind = serializers.ChoiceField(choices=NeedKind.choices)
    status = serializers.ChoiceField(choices=NeedStatus.choices, read_only=True)
    details = Text(max_length=LONG_TEXT_MAX, required=False, allow_blank=True, allow_null=True)
    created = serializers.DateTimeField(read_only=True)


class NeedStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=NeedStatus.choices)


class VerificationSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    method = serializers.ChoiceField(choices=VerificationMethod.choices)
    at = serializers.DateTimeField(read_only=True)
    by = serializers.IntegerField(source="by_id", read_only=True, allow_null=True)
    details = Text(max_length=LONG_TEXT_MAX, required=False, allow_blank=True, allow_null=True)


class ConsentSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    person = serializers.UUIDField(source="person_id")
    codename = Text(source="person.codename", read_only=True)
    scope = serializers.ChoiceField(choices=ConsentScope.choices)
    partner = Text(max_length=NAME_MAX, required=False, allow_blank=True, allow_null=True)
    given = serializers.DateField(required=False)
    withdrawn = serializers.DateField(read_only=True, allow_null=True)
    recorded_by = serializers.IntegerField(source="recorded_by_id", read_only=True, allow_null=True)


class ConsentWithdrawSerializer(serializers.Serializer):
    on = serializers.DateField(required=False, help_text="Defaults to today.")


class RiskAssessmentSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    assessed = serializers.DateField(read_only=True)
    factors = serializers.ListField(child=serializers.ChoiceField(choices=RiskFactor.choices), max_length=len(RiskFactor.choices))
    suggested_priority = serializers.ChoiceField(choices=Priority.choices, read_only=True)
    priority = serializers.ChoiceField(choices=Priority.choices)
    override_reason = Text(max_length=SHORT_TEXT_MAX, required=False, allow_blank=True, allow_null=True)
    by = serializers.IntegerField(source="by_id", read_only=True, allow_null=True)


class PlacementSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    person = serializers.UUIDField(source="person_id")
    codename = Text(source="person.codename", read_only=True)
    safe_house = serializers.UUIDField(source="safe_house_id")
    safe_house_label = Text(source="safe_house.label", read_only=True)
    start = serializers.DateField(required=False)
    end = serializers.DateField(read_only=True, allow_null=True)


class EndPlacementSerializer(serializers.Serializer):
    end = serializers.DateField(required=False, help_text="Defaults to today.")


# -- safe houses ---------------------------------------------------------------------------


class SafeHouseSerializer(serializers.Serializer):
    """The list shape: never the address."""

    id = serializers.UUIDField(read_only=True)
    label = Text(max_length=60)
    capacity = serializers.IntegerField(min_value=1, max_value=1000)
    team = serializers.IntegerField(source="team_id", min_value=1, max_value=BIGINT_MAX)
    occupancy = serializers.IntegerField(read_only=True)
    compromised = serializers.DateTimeField(read_only=True, allow_null=True)


class SafeHouseDetailSerializer(SafeHouseSerializer):
    address = Text(max_length=SHORT_TEXT_MAX)
    notes = Text(max_length=LONG_TEXT_MAX, required=False, allow_blank=True, allow_null=True)


class SafeHouseCompromisedSerializer(serializers.Serializer):
    safe_house = SafeHouseSerializer()
    tasks_created = serializers.IntegerField()
