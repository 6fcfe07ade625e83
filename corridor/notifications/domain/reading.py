"""A staff member's own notifications and preferences: mark read, mark all read, choose how to be told."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.audit.actions import act, lock
from corridor.keys import api as keys_api
from corridor.notifications.audit_names import NotificationAudit
from corridor.notifications.models import URGENT_KINDS, Batching, Kind, Notification, Preference
from corridor.notifications.rules import USE_NOTIFICATIONS


def mark_read(actor: User, notification: Notification) -> None:
    with act(actor, USE_NOTIFICATIONS) as action:
        locked = lock(notification)
        if locked.user_id != actor.pk:
            raise ValidationError(_("This is not your notification."))
        if locked.read is not None:
            action.unchanged()
            return
        locked.read = timezone.now()
        locked.save(update_fields=["read"])
        action.record(NotificationAudit.READ, locked)
    notification.read = locked.read


def mark_all_read(actor: User) -> int:
    """Every unread notification of `actor` read now; how many there were."""
    with act(actor, USE_NOTIFICATIONS) as action:
        count = Notification.objects.filter(user=actor, read__isnull=True).update(read=timezone.now())
        if count:
            action.record(NotificationAudit.READ_ALL, actor)
        else:
            action.unchanged()
    return count


def preference_of(user: User) -> Preference:
    """The user's preferences, or the defaults (unsaved) when they never chose."""
    return Preference.objects.filter(user=user).first() or Preference(user=user)


def set_preferences(
    actor: User,
    *,
    muted: Iterable[str],
    batching: str,
    quiet_start: datetime.time | None,
    quiet_end: datetime.time | None,
    email: str,
    public_key: str,
    language: str = "",
) -> Preference:
    with act(actor, USE_NOTIFICATIONS) as action:
        kinds = sorted({Kind(kind) for kind in muted} - URGENT_KINDS)
        if batching not in Batching.values:
            raise ValidationError({"batching": _("Choose how often to be told.")})
        if (quiet_start is None) != (quiet_end is None):
            raise ValidationError({"quiet_end": _("Give both ends of the quiet hours, or neither.")})
        email = email.strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
        public_key = public_key.strip()
        if public_key and not keys_api.is_age_recipient(public_key):
            raise ValidationError({"public_key": _("This is not an age public key (it starts with age1).")})
        preference = Preference.objects.select_for_update().filter(user=actor).first() or Preference(user=actor)
        preference.muted = kinds
        preference.batching = batching
        preference.quiet_start = quiet_start
        preference.quiet_end = quiet_end
        preference.set_email(email)
        if language and language not in dict(settings.LANGUAGES):
            raise ValidationError({"language": _("Choose one of the languages offered.")})
        preference.public_key = public_key
        preference.language = language
        preference.save()
        action.record(NotificationAudit.PREFERENCES, preference)
    return preference
