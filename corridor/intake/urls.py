"""The public help pages live under INTAKE_PATH (default "help/"); staff triage under "triage/".

Include this module at the root: `path("", include("corridor.intake.urls"))`.
"""

from django.urls import path

from corridor.intake import conf
from corridor.intake.views import editor, look, public, triage

app_name = "intake"

_public = conf.path()

urlpatterns = [
    path(_public, public.help_view, name="help"),
    path(f"{_public}return/", public.return_view, name="return"),
    path(f"{_public}return/send/", public.send_view, name="send"),
    path(f"{_public}logo/", look.logo_view, name="logo"),
    path(f"{_public}leave/", look.leave_view, name="leave"),
    path("triage/", triage.queue_view, name="queue"),
    path("triage/<uuid:pk>/", triage.request_view, name="request"),
    path("triage/<uuid:pk>/files/<uuid:file_pk>/", triage.attachment_view, name="attachment"),
    path("intake/questionnaire/", editor.versions_view, name="questionnaire"),
    path("intake/questionnaire/<int:number>/", editor.version_view, name="version"),
    path("intake/questionnaire/<int:number>/preview/", editor.preview_view, name="preview"),
    path("intake/questionnaire/<int:number>/questions/new/", editor.question_view, name="question_new"),
    path("intake/questionnaire/<int:number>/questions/<slug:key>/", editor.question_view, name="question"),
    path("intake/languages/", editor.languages_view, name="languages"),
    path("intake/look/", look.look_view, name="look"),
]
