from django.apps import AppConfig


class LaunchConfig(AppConfig):
    name = "launch"
    verbose_name = "Phase 5 — Launch & Deployment"

    def ready(self) -> None:
        from engagements import registry
        from launch import documents, gate, waiting

        registry.register(gate.SPEC)
        for kind in waiting.KINDS:
            registry.register_waiting(kind)
        registry.register_document(documents.LAUNCH_PLAN)
