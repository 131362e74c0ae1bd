"""The default reminder rules of docs/design.md, frozen here as they were when this migration was written:
a migration must not import live code, which changes after it. Editable afterwards in the admin."""

from django.db import migrations

DEFAULT_RULES = [
    # name, level, supervised, anchor, offset, day kind, repeat daily, recipients, channels, immediate
    (
        "期限前 3 个工作日提醒责任单位",
        "",
        None,
        "deadline",
        -3,
        "working",
        False,
        ["unit_contact"],
        ["inbox", "email"],
        False,
    ),
    ("期限当天提醒责任单位", "", None, "deadline", 0, "calendar", False, ["unit_contact"], ["inbox", "email"], False),
    ("逾期后每日提醒责任单位", "", None, "deadline", 1, "calendar", True, ["unit_contact"], ["inbox", "email"], False),
    (
        "逾期 3 天提醒区县监管审核人",
        "",
        None,
        "deadline",
        3,
        "calendar",
        False,
        ["county_supervisor"],
        ["inbox", "email"],
        False,
    ),
    (
        "逾期 7 天提醒区县分管领导和市安委办",
        "",
        None,
        "deadline",
        7,
        "calendar",
        False,
        ["county_leader", "municipal_office"],
        ["inbox", "email"],
        False,
    ),
    (
        "重大隐患期限前 3 个工作日立即提醒",
        "major",
        None,
        "deadline",
        -3,
        "working",
        False,
        ["unit_contact"],
        ["inbox"],
        True,
    ),
    (
        "挂牌督办期限前 7 天",
        "",
        True,
        "supervision_deadline",
        -7,
        "calendar",
        False,
        ["listing_authority", "unit_contact"],
        ["inbox"],
        True,
    ),
    (
        "挂牌督办期限前 3 天",
        "",
        True,
        "supervision_deadline",
        -3,
        "calendar",
        False,
        ["listing_authority", "unit_contact"],
        ["inbox"],
        True,
    ),
    (
        "挂牌督办期限前 1 天",
        "",
        True,
        "supervision_deadline",
        -1,
        "calendar",
        False,
        ["listing_authority", "unit_contact"],
        ["inbox"],
        True,
    ),
    (
        "挂牌督办到期后每日提醒督办单位",
        "",
        True,
        "supervision_deadline",
        0,
        "calendar",
        True,
        ["listing_authority"],
        ["inbox"],
        True,
    ),
]
FIELDS = (
    "name",
    "level",
    "supervised",
    "anchor",
    "offset_days",
    "day_kind",
    "repeat_daily",
    "recipients",
    "channels",
    "immediate",
)


def install(apps, schema_editor):
    ReminderRule = apps.get_model("reminders", "ReminderRule")
    for values in DEFAULT_RULES:
        row = dict(zip(FIELDS, values, strict=True))
        ReminderRule.objects.get_or_create(name=row.pop("name"), defaults=row)


class Migration(migrations.Migration):
    dependencies = [("reminders", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
