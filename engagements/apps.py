from django.apps import AppConfig


class EngagementsConfig(AppConfig):
    name = "engagements"
    verbose_name = "Engagements"

    def ready(self) -> None:
        from engagements import charter_document, gate, registry, waiting

        # Phase 1 lives in this app; phases 2–6 register from their own apps.
        registry.register(gate.SPEC)
        for kind in waiting.KINDS:
            registry.register_waiting(kind)
        registry.register_document(charter_document.CHARTER)
