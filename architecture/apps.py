from django.apps import AppConfig


class ArchitectureConfig(AppConfig):
    name = "architecture"
    verbose_name = "Phase 3 — Systems Architecture"

    def ready(self) -> None:
        from architecture import documents, gate
        from engagements import registry

        registry.register(gate.SPEC)
        registry.register_document(documents.BLUEPRINT)
