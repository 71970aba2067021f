from django.apps import AppConfig


class DiagnosticsConfig(AppConfig):
    name = "diagnostics"
    verbose_name = "Phase 2 — Diagnostic Workshops"

    def ready(self) -> None:
        from diagnostics import documents, gate, waiting
        from engagements import registry

        registry.register(gate.SPEC)
        for kind in waiting.KINDS:
            registry.register_waiting(kind)
        registry.register_document(documents.REPORT)
