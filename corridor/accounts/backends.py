"""The sign-in backend: Django's password check and user loading, granting no permission.

Corridor's permissions are its roles' rules (each app's rules.py, through django-rules'
ObjectPermissionBackend). Django's own model permissions (auth_permission, granted per user or
per group) are never granted by Corridor and no view asks for them, yet Django's ModelBackend
still answered every `has_perm`: it loaded the user's and their groups' model permissions (two
queries on every page that shows the navigation), and any grant written into those tables, by
anyone who can write to the database, would have opened what it names (`cases.view_case` is
both one of Django's model permissions and one of Corridor's rules). This backend authenticates
exactly as ModelBackend does and answers every permission question with no.

(Django's `User.has_perm` still says yes to an active superuser before asking any backend;
Corridor creates none: `corridor createuser` makes staff with a role.)
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import QuerySet

from corridor.accounts.models import User

# The dotted path sessions store for a user signed in through this backend.
PATH = "corridor.accounts.backends.PasswordBackend"


class PasswordBackend(ModelBackend):
    """ModelBackend's authenticate and get_user; no model permission, ever."""

    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    async def aget_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    async def aget_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    async def aget_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return False

    async def ahas_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return False

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return False

    async def ahas_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return False

    def with_perm(self, perm: Any, is_active: bool = True, include_superusers: bool = True, obj: Any = None) -> QuerySet[User]:
        return User.objects.none()
