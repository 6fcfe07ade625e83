"""Pages for case work, one module per area; each exposes its own `urlpatterns`."""

from __future__ import annotations

from django.http import HttpRequest

from corridor.accounts.models import User


def staff(request: HttpRequest) -> User:
    """The signed-in user: the staff middleware lets no one else through to these pages."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101 -- StaffSessionMiddleware signs in only Users
    return user
