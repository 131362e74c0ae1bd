from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "统计报表"

    def ready(self) -> None:
        from reports import checks  # noqa: F401  (registers the check)
