from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared machinery with no business rules: errors, the API layer, transitions, idempotency,
    uploads, working days, background jobs and the browser form plumbing every app builds on."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = "公共组件"

    def ready(self) -> None:
        from core import checks  # noqa: F401  (registers the deploy checks)
