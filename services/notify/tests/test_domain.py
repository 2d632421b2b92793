from datetime import UTC, date, datetime
from uuid import uuid4

from libs.schemas.feedback import Tier
from libs.schemas.launches import Launch, LaunchStatus, LaunchType, Team
from services.notify.domain import (
    CHANNELS,
    Planned,
    Requester,
    SlackRouting,
    cluster,
    notification_id,
    plan,
    quote,
)

NOW = datetime(2026, 11, 27, tzinfo=UTC)
LAUNCH = Launch(
    id=uuid4(),
    name="Okta SSO",
    description="Sign in with Okta, SAML or OIDC.",
    type=LaunchType.ENTERPRISE_FEATURE,
    status=LaunchStatus.SHIPPED,
    team=Team.ENGINEERING,
    target_date=date(2026, 11, 20),
)
SLACK = SlackRouting(channels={"acc-1": "#acme"}, default=None)


def asker(
    email: str | None,
    company: str | None = "Acme",
    customer_id: str | None = "acc-1",
    name: str | None = None,
    title: str = "",
    description: str = "",
) -> Requester:
    return Requester(uuid4(), email, company, Tier.ENTERPRISE, customer_id, name, title, description)


def by_channel(planned: list[Planned]) -> dict[str, list[Planned]]:
    out: dict[str, list[Planned]] = {}
    for message in planned:
        out.setdefault(message.notification.channel, []).append(message)
    return out


def test_the_cluster_follows_links_both_ways_and_transitively() -> None:
    linked, child, grandchild, parent, unrelated, other = (uuid4() for _ in range(6))
    edges = [(child, linked), (grandchild, child), (linked, parent), (unrelated, other)]
    assert cluster([linked], edges) == {linked, child, grandchild, parent}
    assert cluster([], edges) == set()


def test_one_message_per_person_per_channel_and_one_slack_post_per_account() -> None:
    cto = asker("cto@acme.io", title="SSO please", description="Okta is required.")
    cto_again = asker("CTO@acme.io", title="Need SAML")
    ops = asker("ops@acme.io", title="SAML SSO")
    other = asker("dev@initech.com", company="Initech", customer_id="acc-2")
    planned = by_channel(plan(LAUNCH, [cto, cto_again, ops, other], CHANNELS, set(), SLACK, NOW))
    assert [m.customer_key for m in planned["email"]] == ["cto@acme.io", "dev@initech.com", "ops@acme.io"]
    assert [m.customer_key for m in planned["in_app"]] == ["cto@acme.io", "dev@initech.com", "ops@acme.io"]
    assert len(planned["intercom"]) == 3
    [slack] = planned["slack"]
    assert (slack.customer_key, slack.address) == ("account:acc-1", "#acme"), "Initech has no channel and no default"
    assert set(slack.notification.feedback_ids) == {cto.item_id, cto_again.item_id, ops.item_id}
    email = next(m for m in planned["email"] if m.customer_key == "cto@acme.io")
    assert set(email.notification.feedback_ids) == {cto.item_id, cto_again.item_id}
    assert email.address == "cto@acme.io" and email.subject == "Okta SSO has shipped"


def test_the_message_quotes_the_customers_own_words() -> None:
    cto = asker("cto@acme.io", name="Ada", title="SSO please", description="Okta is required by our IT team.")
    [in_app, email] = plan(LAUNCH, [cto], ["in_app", "email"], set(), SLACK, NOW)
    text = email.notification.message
    assert text.startswith("Hi Ada,")
    assert '> "SSO please: Okta is required by our IT team."' in text
    assert "Okta SSO" in text and "Sign in with Okta, SAML or OIDC." in text
    assert in_app.notification.message == text
    [slack] = plan(LAUNCH, [cto], ["slack"], set(), SLACK, NOW)
    assert slack.notification.message.startswith("*Okta SSO* has shipped. Acme asked for it:")
    assert slack.notification.customer_email is None


def test_a_long_description_is_cut_at_a_word() -> None:
    long = asker("a@b.io", title="Title", description="word " * 100)
    quoted = quote(long, 40)
    assert len(quoted) <= 40 and quoted.endswith("word…") and quoted.startswith("Title: word")


def test_opt_outs_by_email_by_account_and_per_channel() -> None:
    cto, ops = asker("cto@acme.io"), asker("ops@acme.io")
    only_email = plan(LAUNCH, [cto, ops], CHANNELS, {("cto@acme.io", "email")}, SLACK, NOW)
    assert [(m.notification.channel, m.customer_key) for m in only_email if m.customer_key == "cto@acme.io"] == [
        ("in_app", "cto@acme.io"),
        ("intercom", "cto@acme.io"),
    ]
    everything = plan(LAUNCH, [cto, ops], CHANNELS, {("cto@acme.io", "*")}, SLACK, NOW)
    assert {m.customer_key for m in everything} == {"ops@acme.io", "account:acc-1"}
    account = plan(LAUNCH, [cto, ops], CHANNELS, {("acc-1", "*")}, SLACK, NOW)
    assert account == [], "the account opted out: nobody in it hears, on any channel"


def test_without_an_email_only_the_in_app_inbox_and_slack_remain() -> None:
    anonymous_person = asker(None)
    planned = plan(LAUNCH, [anonymous_person], CHANNELS, set(), SLACK, NOW)
    assert [(m.notification.channel, m.customer_key) for m in planned] == [
        ("in_app", "customer:acc-1"),
        ("slack", "account:acc-1"),
    ]
    nobody = Requester(uuid4(), None, None, None)
    assert plan(LAUNCH, [nobody], CHANNELS, set(), SLACK, NOW) == []


def test_notification_ids_are_stable_so_a_replay_plans_the_same_messages() -> None:
    asked = [asker("a@b.io")]
    first = plan(LAUNCH, asked, CHANNELS, set(), SLACK, NOW)
    again = plan(LAUNCH, asked, CHANNELS, set(), SLACK, datetime(2027, 1, 1, tzinfo=UTC))
    assert [m.notification.id for m in first] == [m.notification.id for m in again]
    assert first[0].notification.id == notification_id(LAUNCH.id, "in_app", "a@b.io")
    assert len({m.notification.id for m in first}) == len(first)


def test_slack_falls_back_to_the_default_channel() -> None:
    routing = SlackRouting(channels={"Initech": "#initech"}, default="#launches")
    initech = asker("dev@initech.com", company="Initech", customer_id=None)
    acme = asker("cto@acme.io")
    planned = plan(LAUNCH, [initech, acme], ["slack"], set(), routing, NOW)
    assert sorted(m.address for m in planned) == ["#initech", "#launches"]


def test_customer_words_in_a_slack_post_cannot_mention_a_channel_or_disguise_a_link() -> None:
    loud = asker(None, company="Acme & <Sons>", title="<!channel> see <https://evil.example|the docs>")
    [slack] = plan(LAUNCH, [loud], ["slack"], set(), SLACK, NOW)
    text = slack.notification.message
    assert "<" not in text and ">" not in text.replace('\n> "', "")
    assert "&lt;!channel&gt; see &lt;https://evil.example|the docs&gt;" in text
    assert "Acme &amp; &lt;Sons&gt; asked for it" in text
