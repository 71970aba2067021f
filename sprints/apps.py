from django.apps import AppConfig


class SprintsConfig(AppConfig):
    name = "sprints"
    verbose_name = "Phase 4 — Build, Test & Optimize"
