from django.urls import path

from corridor.accounts import views, webauthn

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("verify/", views.verify_view, name="verify"),
    path("setup/authenticator/", views.setup_totp_view, name="setup_totp"),
    path("enrol/<str:token>/", views.enrol_view, name="enrol"),
    path("logout/", views.logout_view, name="logout"),
    path("reauth/", views.reauth_view, name="reauth"),
    path("security/", views.security_view, name="security"),
    path("security/factor/<str:kind>/<int:pk>/remove/", views.remove_factor_view, name="remove_factor"),
    path("security/recovery-codes/", views.recovery_codes_view, name="recovery_codes"),
    path("security/tokens/", views.create_token_view, name="create_token"),
    path("security/tokens/<int:pk>/revoke/", views.revoke_token_view, name="revoke_token"),
    path("security/tokens/<int:pk>/activate/", views.activate_token_view, name="activate_token"),
    path("teams/<int:pk>/", views.team_view, name="team"),
    path("users/", views.users_view, name="users"),
    path("users/new/", views.new_user_view, name="new_user"),
    path("users/<int:pk>/", views.user_view, name="user"),
    path("users/<int:pk>/<str:action>/", views.user_action_view, name="user_action"),
    path("webauthn/register/options/", webauthn.register_options, name="webauthn_register_options"),
    path("webauthn/register/verify/", webauthn.register_verify, name="webauthn_register_verify"),
    path("webauthn/login/options/", webauthn.login_options, name="webauthn_login_options"),
    path("webauthn/login/verify/", webauthn.login_verify, name="webauthn_login_verify"),
]
