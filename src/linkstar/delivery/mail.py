"""Mail from the outbox: plain text as the notification wrote it, plus a simple HTML twin."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def _one_line(text: str) -> str:
    return " ".join((text or "").split())[:250]


def build_mail(delivery, user) -> EmailMultiAlternatives:
    """The mail of an ``email`` delivery to ``user``, in the language it was written in."""
    payload = delivery.payload or {}
    language = payload.get("language") or getattr(user, "language", "") or settings.LANGUAGE_CODE
    subject = _one_line(payload.get("subject", ""))
    body = payload.get("body", "")
    with translation.override(language):
        html = render_to_string(
            "delivery/email.html",
            {
                "subject": subject,
                "paragraphs": [p for p in body.split("\n\n") if p.strip()],
                "language": language,
                "organization": delivery.organization,
            },
        )
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={
            "Content-Language": "zh-Hans" if language.startswith("zh") else language,
            "Auto-Submitted": "auto-generated",
            "X-LinkStar-Delivery": str(delivery.pk),
        },
    )
    message.attach_alternative(html, "text/html")
    return message
