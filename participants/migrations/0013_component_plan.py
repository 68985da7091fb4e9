"""Evidence tallies gain what their evidence credits, and each group's component plans are kept beside them.

The tallies already stored lack the new columns: they are emptied, and every cohort is queued, so that the
next recompute of each cohort (the sweep re-queues their jobs) or of every place counts them again.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone


def queue_every_cohort(apps, schema_editor):
    Cohort = apps.get_model("programmes", "Cohort")
    EngagementQueue = apps.get_model("participants", "EngagementQueue")
    now = timezone.now()
    EngagementQueue.objects.bulk_create(
        [EngagementQueue(cohort_id=pk, version=1, queued_at=now) for pk in Cohort.objects.values_list("pk", flat=True)],
        ignore_conflicts=True,
    )


def empty_tallies(apps, schema_editor):
    apps.get_model("participants", "EvidenceTally").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("participants", "0012_evidence_tally"),
        ("programmes", "0006_provider_retention_years"),
    ]

    operations = [
        migrations.RunPython(empty_tallies, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="evidencetally", name="contents_attended", field=models.PositiveIntegerField()
        ),
        migrations.AlterField(
            model_name="evidencetally",
            name="hours_attended",
            field=models.DecimalField(decimal_places=20, max_digits=30),
        ),
        migrations.AlterField(
            model_name="evidencetally", name="core_tasks_done", field=models.PositiveIntegerField()
        ),
        migrations.AlterField(
            model_name="evidencetally",
            name="hours_logged",
            field=models.DecimalField(decimal_places=20, max_digits=30),
        ),
        migrations.AlterField(model_name="evidencetally", name="recorded_done", field=models.BooleanField()),
        migrations.AddField(
            model_name="evidencetally",
            name="evidence",
            field=models.CharField(default="", max_length=20),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="evidencetally",
            name="counted",
            field=models.BooleanField(
                default=False, help_text="The component counts toward engagement and plans some hours"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="evidencetally",
            name="required",
            field=models.BooleanField(default=False),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="evidencetally",
            name="credited_hours",
            field=models.DecimalField(decimal_places=4, default=0, max_digits=10),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="evidencetally",
            name="done",
            field=models.BooleanField(default=False),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name="ComponentPlan",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "group_key",
                    models.PositiveBigIntegerField(help_text="The delivery group's id; 0 for places in no group"),
                ),
                ("evidence", models.CharField(max_length=20)),
                ("counted", models.BooleanField(help_text="It counts toward engagement and plans some hours")),
                ("required", models.BooleanField()),
                ("planned_hours", models.DecimalField(decimal_places=4, max_digits=10)),
                ("units", models.DecimalField(decimal_places=20, max_digits=30)),
                (
                    "in_hours",
                    models.BooleanField(help_text="Attendance is measured in hours (no hours are published)"),
                ),
                ("core_total", models.PositiveIntegerField()),
                (
                    "cohort",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="programmes.cohort"
                    ),
                ),
                (
                    "component",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="programmes.component"
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("cohort", "group_key", "component"), name="component_plan_once"
                    )
                ],
            },
        ),
        migrations.RunPython(queue_every_cohort, migrations.RunPython.noop),
    ]
