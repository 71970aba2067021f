from django.apps import AppConfig


class ArchitectureConfig(AppConfig):
    name = "architecture"
    verbose_name = "Phase 3 — Systems Architecture"
