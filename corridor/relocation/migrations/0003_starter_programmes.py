"""Starter programmes from fixtures/programmes.json: real, publicly documented routes, each
with its public source and the date it was checked. The organisation edits them afterwards.
"""

import datetime
import json
from pathlib import Path

from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "programmes.json"


def load(apps, schema_editor):
    Programme = apps.get_model("relocation", "Programme")
    for entry in json.loads(FIXTURE.read_text(encoding="utf-8")):
        checked = entry.get("checked")
        values = dict(entry, checked=datetime.date.fromisoformat(checked) if checked else None)
        country = values.pop("country")
        if not Programme.objects.filter(country_id=country, name=values["name"]).exists():
            Programme.objects.create(country_id=country, **values)


def unload(apps, schema_editor):
    Programme = apps.get_model("relocation", "Programme")
    names = [entry["name"] for entry in json.loads(FIXTURE.read_text(encoding="utf-8"))]
    Programme.objects.filter(name__in=names, applications__isnull=True, engagements__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("relocation", "0002_countries")]
    operations = [migrations.RunPython(load, unload)]
