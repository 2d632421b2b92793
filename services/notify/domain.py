"""Who to tell when a launch ships, on which channel, and what to say. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from libs.schemas.commands import Channel
from libs.schemas.events import Notification
from libs.schemas.feedback import Tier
from libs.schemas.launches import Launch

# The channels in the order a customer would want them: the hub's inbox first.
CHANNELS: tuple[Channel, ...] = ("in_app", "email", "intercom", "slack")
EVERY_CHANNEL = "*"


@dataclass(frozen=True)
class Requester:
    """A customer who asked, through one feedback item, in their own words."""

    item_id: UUID
    email: str | None
    company: str | None
    tier: Tier | None
    customer_id: str | None = None
    name: str | None = None
    title: str = ""
    description: str = ""


@dataclass(frozen=True)
class SlackRouting:
    """Which Slack channel hears about an account: its own, else the default (none: no Slack post)."""

    channels: Mapping[str, str] = field(default_factory=dict)
    default: str | None = None

    def channel_of(self, requester: Requester) -> str | None:
        for key in (requester.customer_id, requester.company):
            if key and (channel := self.channels.get(key) or self.channels.get(key.lower())):
                return channel
        return self.default


@dataclass(frozen=True)
class Planned:
    """One message to send: the notification (as it will be announced), its address and subject."""

    notification: Notification
    customer_key: str
    address: str
    subject: str


def cluster(linked: Iterable[UUID], edges: Iterable[tuple[UUID, UUID]]) -> set[UUID]:
    """The linked ids with every id an edge joins to one of them, either way, transitively.

    Edges are duplicate links (an item and the one it duplicates) or theme merges (a theme and the one
    it was merged into): a customer who asked through any of them asked for the same thing.
    """
    neighbours: dict[UUID, set[UUID]] = {}
    for item, parent in edges:
        neighbours.setdefault(item, set()).add(parent)
        neighbours.setdefault(parent, set()).add(item)
    cluster, frontier = set(linked), list(linked)
    while frontier:
        for other in neighbours.get(frontier.pop(), ()):
            if other not in cluster:
                cluster.add(other)
                frontier.append(other)
    return cluster


def audience_key(requester: Requester, channel: Channel) -> str | None:
    """Who one message goes to: a person (by email) on most channels, the account on Slack."""
    if channel == "slack":
        account = requester.customer_id or requester.company
        return f"account:{account.lower()}" if account else None
    if requester.email:
        return requester.email.lower()
    if channel != "in_app":
        return None
    if requester.customer_id:
        return f"customer:{requester.customer_id.lower()}"
    return f"company:{requester.company.lower()}" if requester.company else None


def identifiers(requester: Requester, channel: Channel) -> set[str]:
    """What an opt-out may name to cover this requester on this channel: their email, their account."""
    names = (
        {requester.customer_id, requester.company} if channel == "slack" else {requester.email, requester.customer_id}
    )
    return {name.lower() for name in names if name}


def opt_out_names(requesters: Iterable[Requester], channels: Iterable[Channel]) -> set[str]:
    """Every name an opt-out could use to cover one of these requesters on one of these channels."""
    on = list(channels)
    return {name for requester in requesters for channel in on for name in identifiers(requester, channel)}


def opted_out(requesters: Iterable[Requester], channel: Channel, opt_outs: Collection[tuple[str, str]]) -> bool:
    """Whether an opt-out (of this channel, or of every one) covers any of the requesters."""
    return any(
        (name, scope) in opt_outs
        for requester in requesters
        for name in identifiers(requester, channel)
        for scope in (channel, EVERY_CHANNEL)
    )


def notification_id(launch_id: UUID, channel: Channel, customer_key: str) -> UUID:
    """Stable per launch, channel and customer: a replay plans the same ids, so nothing is sent twice."""
    return uuid5(NAMESPACE_URL, f"prodops:notify/{launch_id}/{channel}/{customer_key}")


def plan(
    launch: Launch,
    requesters: Iterable[Requester],
    channels: Iterable[Channel],
    opt_outs: Collection[tuple[str, str]],
    slack: SlackRouting,
    now: datetime,
    excerpt_chars: int = 240,
) -> list[Planned]:
    """One message per customer and channel, quoting what they asked, except where they opted out."""
    asked = list(requesters)
    planned = []
    for channel in channels:
        groups: dict[str, list[Requester]] = {}
        for requester in asked:
            if (key := audience_key(requester, channel)) is not None:
                groups.setdefault(key, []).append(requester)
        for key, group in sorted(groups.items()):
            group.sort(key=lambda requester: str(requester.item_id))
            address = _address(channel, key, group[0], slack)
            if address is None or opted_out(group, channel, opt_outs):
                continue
            planned.append(_planned(launch, channel, key, address, group, now, excerpt_chars))
    return planned


def _address(channel: Channel, key: str, first: Requester, slack: SlackRouting) -> str | None:
    # Elsewhere the key is the address: on email and Intercom the email, lowercased, whichever item came first.
    return slack.channel_of(first) if channel == "slack" else key


def _planned(
    launch: Launch,
    channel: Channel,
    key: str,
    address: str,
    group: list[Requester],
    now: datetime,
    excerpt_chars: int,
) -> Planned:
    first = group[0]
    notification = Notification(
        id=notification_id(launch.id, channel, key),
        launch_id=launch.id,
        launch_name=launch.name,
        channel=channel,
        customer_id=first.customer_id,
        customer_email=first.email.lower() if first.email and channel != "slack" else None,
        customer_company=first.company,
        customer_tier=first.tier,
        feedback_ids=[requester.item_id for requester in group],
        message=message(launch.name, launch.description, group, channel, excerpt_chars),
        sent_at=now,
    )
    return Planned(notification=notification, customer_key=key, address=address, subject=f"{launch.name} has shipped")


def message(launch_name: str, description: str, group: list[Requester], channel: Channel, excerpt_chars: int) -> str:
    """The text, quoting the customer's own words: every request of theirs the launch answers."""
    if channel == "slack":
        who = group[0].company or group[0].customer_id or "This account"
        quoted = "\n".join(f'> "{slack_text(quote(requester, excerpt_chars))}"' for requester in group)
        return f"*{slack_text(launch_name)}* has shipped. {slack_text(who)} asked for it:\n{quoted}"
    quotes = "\n".join(f'> "{quote(requester, excerpt_chars)}"' for requester in group)
    about = f"\n\n{description.strip()}" if description.strip() else ""
    greeting = f"Hi {group[0].name}," if group[0].name else "Hello,"
    asked = "You asked us for this" if len(group) == 1 else f"You asked us for this {len(group)} times"
    return (
        f"{greeting}\n\n{asked}, and it has shipped: {launch_name}.{about}\n\n"
        f"What you told us:\n{quotes}\n\nThank you for telling us."
    )


def slack_text(text: str) -> str:
    """Text as Slack shows it literally: `&`, `<` and `>` escaped, as Slack documents, so that customer words
    cannot mention `<!channel>` or disguise a link as `<https://evil|docs>`."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quote(requester: Requester, limit: int) -> str:
    """The title, and the start of the description, cut at a word, at most `limit` characters."""
    words = " ".join(f"{requester.title.strip()}: {requester.description.strip()}".strip(": ").split())
    if len(words) <= limit:
        return words
    return words[: limit - 1].rsplit(" ", 1)[0] + "…"
