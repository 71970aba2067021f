from django.apps import AppConfig


class LaunchConfig(AppConfig):
    name = "launch"
    verbose_name = "Phase 5 — Launch & Deployment"
