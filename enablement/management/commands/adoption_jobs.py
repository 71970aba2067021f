"""Run the adoption jobs once, now: what Celery beat does every 15 minutes (metrics of the weeks
that received events, then alerts) and every hour (alerts of every tracked engagement). Useful
on the embedded default (no broker, so no beat) and from cron."""

from django.core.management.base import BaseCommand

from enablement.tasks import compute_adoption_metrics, evaluate_adoption_alerts


class Command(BaseCommand):
    help = "Recompute adoption metrics of the weeks that received usage events, then the alerts."

    def handle(self, *args, **options) -> None:
        compute_adoption_metrics.apply(throw=True)
        evaluate_adoption_alerts.apply(throw=True)
        self.stdout.write("Adoption metrics and alerts are up to date.")
