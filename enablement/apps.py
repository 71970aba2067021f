from django.apps import AppConfig


class EnablementConfig(AppConfig):
    name = "enablement"
    verbose_name = "Phase 6 — Enablement & Ongoing Support"

    def ready(self) -> None:
        from enablement import documents, gate, waiting
        from engagements import registry

        registry.register(gate.SPEC)
        for kind in waiting.KINDS:
            registry.register_waiting(kind)
        registry.register_document(documents.HANDOFF_PACK)
