"""What delivery does when another app announces something that is told by mail, outside the
events of an organization: an account locked by failed sign-ins (its owner is told)."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from linkstar.accounts.models import Membership, User
from linkstar.core.announcements import ACCOUNT_LOCKED, PERSON_ERASING, listen
from linkstar.delivery import messages, outbox
from linkstar.delivery.models import ChatHandle, Delivery


@listen(ACCOUNT_LOCKED)
def tell_the_owner(*, email: str) -> None:
    user = User.objects.filter(email=email, is_active=True).first()
    membership = (
        Membership.objects.filter(user=user).select_related("organization").order_by("pk").first()
        if user is not None
        else None
    )
    if membership is None:
        return  # nobody to tell: the address is not an account of ours
    with translation.override(user.language or messages.ORG_LANGUAGE):
        outbox.queue_email(
            user=user,
            subject=_("Signing in to LinkStar is paused for your account"),
            body=_(
                "Several sign-ins to your LinkStar account failed in a row, so signing in is "
                "paused for a while. If it was you, wait and try again. If it was not, someone "
                "may be guessing your password: ask your administrator to change it."
            ),
            organization=membership.organization,
        )


@listen(PERSON_ERASING)
def forget_chat_handles(*, user_id: int) -> None:
    """A person's personal data is being erased: their mobile number and chat user ids go, and
    the messages addressed to them (their address and the text are in the outbox rows)."""
    ChatHandle.objects.filter(user_id=user_id).delete()
    Delivery.objects.filter(recipient_id=user_id).delete()
