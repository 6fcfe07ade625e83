"""A new instance starts with an approved questionnaire for people in danger (issue 18, item 5).

Today's four questions, improved: is the person safe, held right now and by whom (asked only
after "yes" or "not sure": the form's second step), where they are, documents, travel, who
referred them and how to reach them. Russian and English; stored in clear (not secret).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

# Imported rather than copied: plain data, the same questions the page falls back to.
from corridor.intake.defaults import QUESTIONS  # noqa: E402


def create(apps: Any, schema_editor: Any) -> None:
    version_model = apps.get_model("intake", "QuestionnaireVersion")
    question_model = apps.get_model("intake", "Question")
    if version_model.objects.exists():
        return
    version = version_model.objects.create(number=1, state="live", note="Corridor's default questionnaire")
    for position, spec in enumerate(QUESTIONS):
        question_model.objects.create(version=version, position=position * 10, **spec)


def remove(apps: Any, schema_editor: Any) -> None:
    version_model = apps.get_model("intake", "QuestionnaireVersion")
    version_model.objects.filter(number=1, note="Corridor's default questionnaire", author__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("intake", "0003_questionnaire_versions_and_look")]

    operations = [migrations.RunPython(create, remove)]
