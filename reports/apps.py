from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "统计报表"

    def ready(self) -> None:
        from accounts.choices import Role
        from hazards.apps import HOME_PAGES
        from reports import checks  # noqa: F401  (registers the check)

        # The municipal office's home page is the city's dashboard (issue 11). A dotted path: the views
        # (and what they import) are loaded by the web process when asked for, never by a worker.
        HOME_PAGES[Role.MUNICIPAL_OFFICE] = "reports.views.dashboard"
