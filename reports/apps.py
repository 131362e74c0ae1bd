from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "统计报表"

    def ready(self) -> None:
        from accounts.choices import Role
        from hazards.views.pages import HOME_PAGES
        from reports import checks  # noqa: F401  (registers the check)
        from reports.views import dashboard

        # The municipal office's home page is the city's dashboard (issue 11).
        HOME_PAGES[Role.MUNICIPAL_OFFICE] = dashboard
