from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "人员与辖区"

    def ready(self) -> None:
        from accounts.api.authentication import tokens
        from accounts.models import ApiToken

        # Any process that deletes a token or changes a user tells the API workers (core/reference.py).
        tokens.bind(ApiToken)
