"""Through the real broker: a task enqueued after commit is run by a worker, once."""

import time

from celery.signals import task_postrun
from django.core import mail
from django.urls import reverse

from engagements.models import EmailStatus, OutboundEmail
from engagements.tasks import deliver_email
from tests.conftest import signed_in


def _wait_for(condition, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_real_worker_delivers_an_invitation_email_once(celery_worker_thread, world):
    url = reverse(
        "stakeholder_invite", args=[world.engagement.public_id, world.rep_stakeholder.public_id]
    )
    assert signed_in(world.consultant).post(url).status_code == 302
    assert _wait_for(lambda: len(mail.outbox) == 1), "the worker never sent the email"
    email = OutboundEmail.unscoped.get()
    assert email.status == EmailStatus.SENT
    assert mail.outbox[0].to == [world.rep_stakeholder.email]
    finished = []
    record = lambda task_id, **kwargs: finished.append(task_id)  # noqa: E731
    task_postrun.connect(record, weak=False)
    try:
        retry = deliver_email.apply_async(args=[email.pk, world.firm_a.pk])
        assert _wait_for(lambda: retry.id in finished), "the worker never ran the retry"
    finally:
        task_postrun.disconnect(record)
    assert len(mail.outbox) == 1
