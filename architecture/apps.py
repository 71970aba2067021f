from django.apps import AppConfig


class ArchitectureConfig(AppConfig):
    name = "architecture"
    verbose_name = "Phase 3 — Systems Architecture"

    def ready(self) -> None:
        from architecture import documents, gate, waiting
        from engagements import registry

        registry.register(gate.SPEC)
        for kind in waiting.KINDS:
            registry.register_waiting(kind)
        registry.register_document(documents.BLUEPRINT)
