"""The figures' summary per programme and country (FigureCell), filled from the per-application tally.

The backfill's SQL is a copy of corridor/relocation/tally.py's cells_sql as of this migration
(a migration must not change meaning when that module does later).
"""

import django.db.models.deletion
from django.db import migrations, models

FUNNEL_STAGES = 6
APPLICATIONS, SUBMITTED, GRANTED, REFUSED, WITHDRAWN, REACHED = 0, 1, 2, 3, 4, 5
DECISION_DAYS, ARRIVAL_DAYS, PENDING_SINCE = 20, 21, 22


def backfill(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        day_number = "(t.submitted - DATE '1970-01-01')"
    else:
        day_number = "CAST(julianday(t.submitted) - julianday('1970-01-01') AS INTEGER)"
    counted = [
        (APPLICATIONS, "0", "1 = 1"),
        (SUBMITTED, "0", "t.submitted IS NOT NULL"),
        (GRANTED, "0", "t.granted"),
        (REFUSED, "0", "t.refused"),
        (WITHDRAWN, "0", "t.withdrawn"),
        *((REACHED + k, "0", f"t.furthest >= {k}") for k in range(FUNNEL_STAGES)),
        (DECISION_DAYS, "t.decision_days", "t.decision_days IS NOT NULL"),
        (ARRIVAL_DAYS, "t.arrival_days", "t.arrival_days IS NOT NULL"),
        (PENDING_SINCE, day_number, "t.submitted IS NOT NULL AND NOT (t.granted OR t.refused OR t.withdrawn)"),
    ]
    union = "\n    UNION ALL ".join(
        f"SELECT p.country_id, t.programme_id, {measure} AS measure, {value} AS value "
        f"FROM relocation_applicationtally t JOIN relocation_programme p ON p.id = t.programme_id WHERE {condition}"
        for measure, value, condition in counted
    )
    # Per programme, and per country in programme 0 (the country's total).
    sql = f"""
INSERT INTO relocation_figurecell (country_id, programme, measure, value, n)
SELECT * FROM (
    SELECT country_id, programme_id, measure, value, COUNT(*) FROM ({union}) cells GROUP BY country_id, programme_id, measure, value
    UNION ALL
    SELECT country_id, 0, measure, value, COUNT(*) FROM ({union}) cells GROUP BY country_id, measure, value
) cells ORDER BY 1, 2, 3, 4
"""  # noqa: S608 -- constants of this migration only
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM relocation_figurecell")
        cursor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('relocation', '0004_application_tally'),
    ]

    operations = [
        migrations.CreateModel(
            name='FigureCell',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('programme', models.IntegerField()),
                ('measure', models.SmallIntegerField()),
                ('value', models.IntegerField()),
                ('n', models.IntegerField()),
                ('country', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='relocation.country')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('country', 'programme', 'measure', 'value'), name='relocation_figurecell_unique')],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
