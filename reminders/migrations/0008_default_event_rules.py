"""The default workflow notification rules of docs/design.md (issue 13), frozen here as written: at once in
the inbox, the email in the daily digest. Editable afterwards in the admin (提醒规则, 触发事件)."""

from django.db import migrations

# name, event, recipients, channels
DEFAULT_EVENT_RULES = [
    ("交单通知责任单位", "assign", ["unit_contact"], ["inbox", "email"]),
    ("改派通知新责任单位", "reassign", ["unit_contact"], ["inbox", "email"]),
    ("撤回交办通知原责任单位", "recall", ["unit_contact"], ["inbox"]),
    ("退回通知责任单位", "reject", ["unit_contact"], ["inbox", "email"]),
    ("待验收通知区县监管审核人", "submit", ["county_supervisor"], ["inbox", "email"]),
    ("销号通知责任单位", "verify", ["unit_contact"], ["inbox"]),
    ("延期申请通知区县监管审核人", "request_extension", ["county_supervisor"], ["inbox", "email"]),
    ("延期批准通知责任单位", "approve_extension", ["unit_contact"], ["inbox", "email"]),
    ("延期驳回通知责任单位", "deny_extension", ["unit_contact"], ["inbox", "email"]),
    (
        "挂牌督办通知责任单位和督办单位",
        "list_supervision",
        ["unit_contact", "county_supervisor", "listing_authority"],
        ["inbox", "email"],
    ),
]


def install(apps, schema_editor):
    ReminderRule = apps.get_model("reminders", "ReminderRule")
    for name, event, recipients, channels in DEFAULT_EVENT_RULES:
        ReminderRule.objects.get_or_create(
            name=name,
            defaults={
                "event": event,
                "offset_days": 0,
                "day_kind": "calendar",
                "recipients": recipients,
                "channels": channels,
                "immediate": False,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("reminders", "0007_workflow_notifications")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
