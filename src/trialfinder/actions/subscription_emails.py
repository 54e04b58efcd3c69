"""A subscription's emails: the confirmation (or "you are already subscribed") at sign-up, and the alerts. Each
carries signed links to manage and to unsubscribe (and, at sign-up, to confirm), in the subscriber's language, and
the List-Unsubscribe headers that let a mail client unsubscribe with one click.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from trialfinder.actions.email_writer import EmailWriter
from trialfinder.notifications.email import OutgoingEmail
from trialfinder.storage.subscriptions import StoredSubscription, WaitingMatch
from trialfinder.views.i18n import LANGUAGES
from trialfinder.views.links import url
from trialfinder.views.saved_search import describe

LINK_YEARS = 5  # manage and unsubscribe links last as long as a subscription reasonably does
# The signed links' purposes (subscriptions.open_link checks them): a token made for one never opens another.
CONFIRM = "subscription-confirm"
MANAGE = "subscription-manage"
UNSUBSCRIBE = "subscription-unsubscribe"


def language(subscription: StoredSubscription) -> str:
    return subscription.language if subscription.language in LANGUAGES else LANGUAGES[0]


def _long_lived(subscription: StoredSubscription) -> datetime:
    return datetime.fromisoformat(subscription.created_at) + timedelta(days=365 * LINK_YEARS)


def manage_url(writer: EmailWriter, base_url: str, subscription: StoredSubscription) -> str:
    token = writer.signer.sign(MANAGE, subscription.public_id, expires_at=_long_lived(subscription))
    return f"{base_url}/subscriptions/manage?token={token}"


def unsubscribe_url(writer: EmailWriter, base_url: str, subscription: StoredSubscription) -> str:
    token = writer.signer.sign(UNSUBSCRIBE, subscription.public_id, expires_at=_long_lived(subscription))
    return f"{base_url}/subscriptions/unsubscribe?token={token}"


def _headers(unsubscribe: str) -> tuple[tuple[str, str], ...]:
    # RFC 2369 and RFC 8058: mail clients show an unsubscribe button that POSTs to the link, no page needed.
    return (("List-Unsubscribe", f"<{unsubscribe}>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))


def _common(writer: EmailWriter, subscription: StoredSubscription, base_url: str) -> tuple[dict, str]:
    fmt = writer.templates.formatter(language(subscription))
    search = subscription.saved_search()
    unsubscribe = unsubscribe_url(writer, base_url, subscription)
    return {
        "summary": describe(search, fmt),
        "search_url": f"{base_url}{url('/trials', search.pairs())}",
        "manage_url": manage_url(writer, base_url, subscription),
        "unsubscribe_url": unsubscribe,
    }, unsubscribe


def compose_sign_up(
    subscription: StoredSubscription, kind: str, *, writer: EmailWriter, base_url: str, confirm_days: int
) -> OutgoingEmail:
    """The one email of a sign-up: kind "confirm" (the confirmation link, valid `confirm_days`) or "already"."""
    common, unsubscribe = _common(writer, subscription, base_url)
    expires = datetime.fromisoformat(subscription.created_at) + timedelta(days=confirm_days)
    token = writer.signer.sign(CONFIRM, subscription.public_id, expires_at=expires)
    name = "subscription_confirm" if kind == "confirm" else "subscription_already"
    email = writer.templates.render(
        name,
        language(subscription),
        {
            **common,
            "confirm_url": f"{base_url}/subscriptions/confirm?token={token}",
            "confirm_days": confirm_days,
        },
        to=subscription.email,
    )
    return OutgoingEmail(email.to, email.subject, email.text, email.html, headers=_headers(unsubscribe))


def compose_alert(
    subscription: StoredSubscription, matches: list[WaitingMatch], *, writer: EmailWriter, base_url: str
) -> OutgoingEmail:
    """An alert listing the trials that newly match, each linked with the subscription's place and statuses."""
    common, unsubscribe = _common(writer, subscription, base_url)
    search = subscription.saved_search()
    # A trial's page shows distances from the place and the sites open in the statuses watched.
    pairs = [pair for pair in search.pairs() if pair[0] in ("location", "lat", "lon", "radius", "unit", "status")]
    trials = [
        {
            "nct_id": match.nct_id,
            "title": match.brief_title,
            "status": match.overall_status,
            "distance_km": match.distance_km,
            "url": f"{base_url}{url(f'/trials/{match.nct_id}', pairs)}",
        }
        for match in matches
    ]
    email = writer.templates.render(
        "subscription_alert",
        language(subscription),
        {**common, "trials": trials, "unit": search.unit},
        to=subscription.email,
    )
    return OutgoingEmail(email.to, email.subject, email.text, email.html, headers=_headers(unsubscribe))
