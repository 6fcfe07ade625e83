"""The per-application tally the figures read, filled from the events already recorded.

The backfill's SQL is a copy of corridor/relocation/tally.py as of this migration (a migration
must not change meaning when that module does later).
"""

import django.db.models.deletion
from django.db import migrations, models


FUNNEL = ("submitted", "interview", "decision", "visa_issued", "departed", "arrived")
GRANTED = ("decision", "visa_issued", "travel_booked", "departed", "arrived")


def backfill(apps, schema_editor):
    connection = schema_editor.connection
    postgres = connection.vendor == "postgresql"

    def days(later, earlier):
        return f"({later} - {earlier})" if postgres else f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"

    true, false = ("TRUE", "FALSE") if postgres else ("1", "0")
    granted = ", ".join(f"'{s}'" for s in GRANTED)
    furthest = " ".join(f"WHEN e.status = '{stage}' THEN {index}" for index, stage in enumerate(FUNNEL))
    sql = f"""
INSERT INTO relocation_applicationtally (application_id, case_id, programme_id, submitted, granted, refused,
    withdrawn, furthest, decision_days, arrival_days)
SELECT app, case_id, programme_id, submitted,
    CASE WHEN granted IS NOT NULL THEN {true} ELSE {false} END,
    CASE WHEN granted IS NULL AND refused IS NOT NULL THEN {true} ELSE {false} END,
    CASE WHEN withdrawn = 1 THEN {true} ELSE {false} END,
    furthest,
    CASE WHEN submitted IS NOT NULL AND decided IS NOT NULL THEN {days("decided", "submitted")} END,
    CASE WHEN submitted IS NOT NULL AND arrived IS NOT NULL THEN {days("arrived", "submitted")} END
FROM (
    SELECT per_app.*,
        CASE WHEN granted IS NOT NULL AND (refused IS NULL OR granted <= refused) THEN granted ELSE refused END AS decided
    FROM (
        SELECT a.id AS app, a.case_id, a.programme_id,
            MIN(CASE WHEN e.status = 'submitted' THEN e.happened_on END) AS submitted,
            MIN(CASE WHEN e.status IN ({granted}) THEN e.happened_on END) AS granted,
            MIN(CASE WHEN e.status = 'refused' THEN e.happened_on END) AS refused,
            MIN(CASE WHEN e.status = 'arrived' THEN e.happened_on END) AS arrived,
            MAX(CASE WHEN e.status = 'withdrawn' THEN 1 ELSE 0 END) AS withdrawn,
            MAX(CASE {furthest} ELSE -1 END) AS furthest
        FROM relocation_applicationevent e
        JOIN relocation_application a ON a.id = e.application_id
        GROUP BY a.id, a.case_id, a.programme_id
    ) per_app
) decided
"""  # noqa: S608 -- constants of this migration only
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM relocation_applicationtally")
        cursor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0002_duplicate_check_counter_and_review'),
        ('relocation', '0003_starter_programmes'),
    ]

    operations = [
        migrations.CreateModel(
            name='ApplicationTally',
            fields=[
                ('application', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='relocation.application')),
                ('submitted', models.DateField(null=True)),
                ('granted', models.BooleanField(default=False)),
                ('refused', models.BooleanField(default=False)),
                ('withdrawn', models.BooleanField(default=False)),
                ('furthest', models.SmallIntegerField(default=-1)),
                ('decision_days', models.IntegerField(null=True)),
                ('arrival_days', models.IntegerField(null=True)),
                ('case', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='cases.case')),
                ('programme', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='relocation.programme')),
            ],
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
