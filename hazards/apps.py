from django.apps import AppConfig

# A role whose home page is another app's page rather than the 工作台 (the municipal office's is the
# city's 统计看板), as the dotted path of its view: filled by that app's AppConfig.ready(), so this app
# does not import it, and resolved on the first request, so a Celery worker never imports any view.
HOME_PAGES: dict[str, str] = {}


class HazardsConfig(AppConfig):
    name = "hazards"
    verbose_name = "隐患台账"
