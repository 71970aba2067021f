from django.apps import AppConfig


class LaunchConfig(AppConfig):
    name = "launch"
    verbose_name = "Phase 5 — Launch & Deployment"

    def ready(self) -> None:
        from engagements import registry
        from engagements.services.jobs import job_kind_on_failure
        from launch import documents, gate, waiting
        from launch.workbench import services as workbench

        registry.register(gate.SPEC)
        for kind in waiting.KINDS:
            registry.register_waiting(kind)
        registry.register_document(documents.LAUNCH_PLAN)
        job_kind_on_failure("migration_source", workbench.source_job_failed)
        job_kind_on_failure("migration_dry", workbench.run_job_failed)
        job_kind_on_failure("migration_commit", workbench.run_job_failed)
