from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = "提醒与督促"

    def ready(self) -> None:
        from django.db import transaction
        from django.db.models.signals import post_delete, post_save

        from reminders.models import ReminderRule
        from reminders.services import replan_all

        def rules_changed(**kwargs) -> None:
            # However a rule changes (admin, shell, data migration), every open hazard is planned anew.
            transaction.on_commit(replan_all)

        post_save.connect(rules_changed, sender=ReminderRule, weak=False, dispatch_uid="reminders-rules-changed")
        post_delete.connect(rules_changed, sender=ReminderRule, weak=False, dispatch_uid="reminders-rules-changed-del")
