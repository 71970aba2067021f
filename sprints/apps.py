from django.apps import AppConfig


class SprintsConfig(AppConfig):
    name = "sprints"
    verbose_name = "Phase 4 — Build, Test & Optimize"

    def ready(self) -> None:
        from engagements import registry
        from sprints import gate, waiting

        registry.register(gate.SPEC)
        for kind in waiting.KINDS:
            registry.register_waiting(kind)
