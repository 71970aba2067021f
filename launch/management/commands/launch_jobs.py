"""Run the launch phase's periodic jobs once, now: what Celery beat does every minute. Useful on
the embedded default (no broker, so no beat) and from cron."""

from django.core.management.base import BaseCommand

from launch.tasks import escalate_incidents, send_due_communications


class Command(BaseCommand):
    help = "Send due launch communications and escalate incidents past their response target."

    def handle(self, *args, **options) -> None:
        send_due_communications.apply()
        escalate_incidents.apply()
        self.stdout.write("Launch communications and escalations are up to date.")
