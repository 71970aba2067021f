from django.apps import AppConfig


class EnablementConfig(AppConfig):
    name = "enablement"
    verbose_name = "Phase 6 — Enablement & Ongoing Support"
