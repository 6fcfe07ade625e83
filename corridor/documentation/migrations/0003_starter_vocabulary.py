"""The starter vocabularies: types of act and methods of torture, in English and Russian.

Drawn from the categories the HURIDOCS events standard formats and the reports on Chechnya
(2017) use. The documentation team edits, translates and adds to them afterwards; codes are
stable because exports and the API use them.
"""

from django.db import migrations

ACT_TYPES = [
    ("arbitrary_detention", "arbitrary detention", "произвольное задержание"),
    ("enforced_disappearance", "enforced disappearance", "насильственное исчезновение"),
    ("torture", "torture", "пытки"),
    ("ill_treatment", "ill-treatment", "жестокое обращение"),
    ("killing", "killing", "убийство"),
    ("threats", "threats", "угрозы"),
    ("forced_outing", "forced outing to family", "принудительный аутинг перед семьёй"),
    ("extortion", "extortion", "вымогательство"),
    ("sexual_violence", "sexual violence", "сексуальное насилие"),
    ("forced_confession", "forced confession", "принуждение к признанию"),
    ("incommunicado_detention", "incommunicado detention", "содержание без связи с внешним миром"),
    ("forced_return", "forced return to family", "принудительное возвращение в семью"),
    ("property_seizure", "seizure of phone or property", "изъятие телефона или имущества"),
]

METHODS = [
    ("electric_shock", "electric shock", "удары электрическим током"),
    ("beating", "beating", "избиение"),
    ("asphyxiation", "asphyxiation", "удушение"),
    ("stress_positions", "stress positions", "стрессовые позы"),
    ("sexual_violence_method", "sexual violence", "сексуальное насилие"),
    ("sleep_deprivation", "deprivation of sleep", "лишение сна"),
    ("food_deprivation", "deprivation of food or water", "лишение еды или воды"),
    ("mock_execution", "mock execution", "имитация казни"),
    ("threats_to_family", "threats against family", "угрозы родственникам"),
    ("humiliation", "humiliation", "унижение"),
]


def load(apps, schema_editor):
    Term = apps.get_model("documentation", "Term")
    for code, en, ru in ACT_TYPES:
        Term.objects.get_or_create(vocabulary="act_type", code=code, defaults={"labels": {"en": en, "ru": ru}})
    torture = Term.objects.get(vocabulary="act_type", code="torture")
    for code, en, ru in METHODS:
        Term.objects.get_or_create(vocabulary="method", code=code, defaults={"labels": {"en": en, "ru": ru}, "parent": torture})


def unload(apps, schema_editor):
    Term = apps.get_model("documentation", "Term")
    unused = Term.objects.filter(acts__isnull=True, acts_by_method__isnull=True)
    unused.filter(vocabulary="method", code__in=[code for code, _en, _ru in METHODS]).delete()
    unused.filter(vocabulary="act_type", code__in=[code for code, _en, _ru in ACT_TYPES], children__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("documentation", "0002_edit_stamps")]

    operations = [migrations.RunPython(load, unload)]
