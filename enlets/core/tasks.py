"""Background tasks of the core (django-tasks, database backend: jobs survive restarts).

A task is enqueued only after the transaction that asked for it commits, so a rolled-back
write never sends an e-mail about something that did not happen.
"""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction
from django_tasks import task


@task()
def send_email(subject: str, body: str, recipients: list[str]) -> int:
    return send_mail(subject, body, None, recipients, fail_silently=False)


def send_email_after_commit(subject: str, body: str, recipients: list[str]) -> None:
    transaction.on_commit(lambda: send_email.enqueue(subject=subject, body=body, recipients=recipients))
