"""Every ISO 3166-1 country from pycountry, with its English and Russian name."""

import gettext

import pycountry
from django.db import migrations


def load(apps, schema_editor):
    Country = apps.get_model("relocation", "Country")
    try:
        russian = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ru"])
    except OSError:  # no catalogue: fall back to the English names rather than fail
        russian = gettext.NullTranslations()
    Country.objects.bulk_create(
        [Country(code=c.alpha_2, name_en=c.name, name_ru=russian.gettext(c.name)) for c in pycountry.countries],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("relocation", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
