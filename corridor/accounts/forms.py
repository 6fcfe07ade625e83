"""Forms for sign-in, enrolment, second factors and user administration."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from corridor.accounts.models import Role, Team


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"})
    )
    password = forms.CharField(
        label=_("Password"), max_length=4096, strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "none"}),
    )


class SetupCodeForm(forms.Form):
    """Confirming a new authenticator: only its own code counts (the first set-up has no recovery codes yet)."""

    code = forms.CharField(
        label=_("The six-digit code your app shows"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autocapitalize": "none"}),
    )


class ReauthForm(LoginForm, CodeForm):
    pass


class EnrolPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("New password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters. A few unrelated words are easy to remember and hard to guess."),
    )
    password_again = forms.CharField(
        label=_("New password again"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    duress_password = forms.CharField(
        label=_("Duress password"),
        strip=False,
        required=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_(
            "If you are ever forced to sign in, type this instead: you will see a harmless page and the instance will lock itself."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


class NewUserForm(forms.Form):
    username = forms.CharField(
        label=_("Username"), max_length=150, help_text=_("Letters, digits and @/./+/-/_ only. It need not be a real name.")
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"), queryset=Team.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def clean_username(self) -> str:
        from django.contrib.auth.validators import UnicodeUsernameValidator

        value: str = self.cleaned_data["username"].strip()
        UnicodeUsernameValidator()(value)
        return value


class EditUserForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"), queryset=Team.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )


class TokenForm(forms.Form):
    name = forms.CharField(label=_("What is this token for?"), max_length=80, required=False)


def password_help() -> list[str]:
    return list(password_validation.password_validators_help_texts())
