from django.apps import AppConfig


class EngagementsConfig(AppConfig):
    name = "engagements"
    verbose_name = "Engagements"

    def ready(self) -> None:
        from engagements import charter_document, gate, registry

        # Phase 1 lives in this app; phases 2–6 register from their own apps.
        registry.register(gate.SPEC)
        registry.register_document(charter_document.CHARTER)
