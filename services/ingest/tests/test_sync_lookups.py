"""Second look-ups during a sync, against the local vendor servers: Gong's transcripts (paged, rate-limited,
interrupted and resumed) and authors named only by id (Intercom, Help Scout, Jira, Zendesk's side-loads)."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.schemas.events import FeedbackReceived
from libs.schemas.feedback import FeedbackItem, FeedbackStatus
from libs.schemas.transcripts import SpeakerRole, parse
from services.ingest.storage import SourceRecord, StoredItem
from services.ingest.sync import sync_source
from services.ingest.tests.connectors.fake_vendors import EPOCH, FakeVendor, make_record, serving
from services.ingest.tests.test_sync import connector_at, killed_while_waiting

Sessions = async_sessionmaker[AsyncSession]


def call_monologues(number: int) -> list[dict[str, object]]:
    """What Gong's /v2/calls/transcript gives for call `number`: the rep (speaker 1) and the customer (2)."""
    said = [
        ("1", f"Thanks for joining the review of rollout {number}."),
        ("2", "The CSV export keeps failing on large files and we lose the whole report."),
        ("1", "Sorry about that, I will raise it with engineering."),
        ("2", "We also need single sign-on with Okta before the whole company can use it."),
    ]
    return [
        {"speakerId": speaker, "topic": None, "sentences": [{"start": 0, "end": 1, "text": text}]}
        for speaker, text in said
    ]


def gong_vendor(calls: int, with_transcripts: range | None = None) -> FakeVendor:
    vendor = FakeVendor("gong")
    vendor.add(calls)
    for number, record in enumerate(vendor.records, start=1):
        record["parties"] = [
            {"speakerId": "1", "name": "Sam Rivera", "emailAddress": "sam@hub.example", "affiliation": "Internal"},
            {
                "speakerId": "2",
                "name": f"Dana {number}",
                "emailAddress": f"dana{number}@acme.io",
                "affiliation": "External",
            },
        ]
        record["content"] = {"brief": f"Review of rollout {number}."}
        if with_transcripts is None or number in with_transcripts:
            vendor.transcripts[record["metaData"]["id"]] = call_monologues(number)
    return vendor


async def items(sessions: Sessions) -> dict[str, FeedbackItem]:
    async with sessions() as session:
        stored = (await session.exec(select(StoredItem))).all()
    return {row.source_id or "": FeedbackReceived.model_validate_json(row.event).payload for row in stored}


async def test_a_gong_sync_brings_each_calls_transcript_speaker_labelled(sessions: Sessions) -> None:
    vendor = gong_vendor(7)
    async with serving(vendor) as base:
        report = await sync_source(sessions, connector_at("gong", base))
    assert (report.pages, report.new) == (3, 7)
    # Three calls to a page, two transcripts to a transcript page: two requests per full page, one for the last.
    assert [len(lookup["body"]["filter"]["callIds"]) for lookup in vendor.lookups] == [3, 3, 3, 3, 1]
    assert [lookup["body"].get("cursor") for lookup in vendor.lookups] == [None, "2", None, "2", None]
    calls = await items(sessions)
    assert len(calls) == 7
    for number in range(1, 8):
        call = calls[str(9000 + number)]
        assert call.status == FeedbackStatus.CLOSED and {"sales-call", "transcript"} <= set(call.tags)
        turns = parse(call.description)
        assert [turn.role for turn in turns] == [SpeakerRole.INTERNAL, SpeakerRole.CUSTOMER] * 2
        assert turns[1].speaker == f"Dana {number}" and "CSV export" in turns[1].text
        assert call.customer.email == f"dana{number}@acme.io"
    async with sessions() as session:
        raw = (await session.exec(select(SourceRecord))).first()
    assert raw is not None and json.loads(raw.record)["transcript"], "the stored raw record keeps the transcript"


async def test_a_call_without_a_transcript_stays_one_open_item(sessions: Sessions) -> None:
    vendor = gong_vendor(3, with_transcripts=range(1, 2))
    async with serving(vendor) as base:
        await sync_source(sessions, connector_at("gong", base))
    calls = await items(sessions)
    assert calls["9001"].status == FeedbackStatus.CLOSED
    assert calls["9002"].status == FeedbackStatus.NEW and calls["9002"].description == "Review of rollout 2."

    vendor = gong_vendor(3, with_transcripts=range(0))
    async with serving(vendor) as base:  # Gong answers 404 when none of the calls has a transcript
        report = await sync_source(sessions, connector_at("gong", base), since=EPOCH)
    assert report.records == 3 and len(vendor.lookups) == 1


async def test_a_rate_limit_on_the_transcripts_is_waited_out(sessions: Sessions) -> None:
    vendor = gong_vendor(4)
    vendor.lookup_rate_limited = {2}
    async with serving(vendor) as base:
        started = time.monotonic()
        report = await sync_source(sessions, connector_at("gong", base))
        waited = time.monotonic() - started
    assert report.new == 4 and waited >= 0.9
    assert vendor.lookups[1] == vendor.lookups[2], "the limited transcript page was asked for again"
    assert all(call.status == FeedbackStatus.CLOSED for call in (await items(sessions)).values())


async def test_a_crash_while_fetching_transcripts_resumes_at_that_page(sessions: Sessions) -> None:
    vendor = gong_vendor(7)
    vendor.lookup_hang_at = 3  # the first transcript request of the second page of calls
    async with serving(vendor) as base:
        connector = connector_at("gong", base)
        await killed_while_waiting(sync_source(sessions, connector), vendor.lookups, 3)
        assert set(await items(sessions)) == {"9001", "9002", "9003"}, "only the first page was stored"
        report = await sync_source(sessions, connector)
    assert vendor.requests[2]["body"] == vendor.requests[1]["body"], "the new run asks for page two again"
    assert report.new == 4
    calls = await items(sessions)
    assert len(calls) == 7 and all(call.status == FeedbackStatus.CLOSED for call in calls.values())


# --- authors named by id ---------------------------------------------------------------------------


async def test_intercom_contacts_are_looked_up_once_per_run(sessions: Sessions) -> None:
    vendor = FakeVendor("intercom")
    vendor.add(4)
    for number, record in enumerate(vendor.records, start=1):
        person = "c-2" if number == 4 else f"c-{number}"
        record["source"]["author"] = {"type": "user", "id": person}
        record["contacts"] = {"type": "contact.list", "contacts": [{"type": "contact", "id": person}]}
    vendor.records[2]["source"]["author"] = {"type": "admin", "id": "a-1", "email": "rep@hub.example"}
    vendor.people = {
        f"/contacts/c-{n}": {
            "type": "contact",
            "id": f"c-{n}",
            "role": "user",
            "email": f"p{n}@acme.io",
            "name": f"P {n}",
        }
        for n in (1, 2, 3)
    }
    async with serving(vendor) as base:
        await sync_source(sessions, connector_at("intercom", base))
    by_id = await items(sessions)
    assert [by_id[str(7000 + n)].customer.email for n in (1, 2, 3, 4)] == [
        "p1@acme.io",
        "p2@acme.io",
        "p3@acme.io",  # an admin opened it: the customer is the conversation's contact
        "p2@acme.io",
    ]
    assert sorted(lookup["path"] for lookup in vendor.lookups) == ["/contacts/c-1", "/contacts/c-2", "/contacts/c-3"]


async def test_helpscout_customers_and_jira_reporters_are_looked_up(sessions: Sessions) -> None:
    helpscout = FakeVendor("helpscout")
    helpscout.add(2)
    for number, record in enumerate(helpscout.records, start=1):
        record["createdBy"] = {"id": 100 + number, "type": "customer"}
    helpscout.people = {
        "/v2/customers/101": {
            "id": 101,
            "firstName": "Vera",
            "lastName": "Chen",
            "organization": "Initech",
            "_embedded": {"emails": [{"id": 1, "value": "vera@initech.com", "type": "work"}]},
        }
    }
    jira = FakeVendor("jira")
    jira.add(2)
    for number, record in enumerate(jira.records, start=1):
        record["fields"]["reporter"] = {"accountId": f"acc-{number}", "displayName": f"Reporter {number}"}
    jira.people = {"/rest/api/3/user?accountId=acc-1": {"accountId": "acc-1", "emailAddress": "r1@globex.com"}}
    async with serving(helpscout) as helpscout_url, serving(jira) as jira_url:
        await sync_source(sessions, connector_at("helpscout", helpscout_url))
        await sync_source(sessions, connector_at("jira", jira_url))
    by_id = await items(sessions)
    vera = by_id["3001"].customer
    assert (vera.email, vera.name, vera.company) == ("vera@initech.com", "Vera Chen", "Initech")
    assert by_id["3002"].customer.email is None, "a customer the vendor no longer has: the item is kept without"
    assert by_id["10001"].customer.email == "r1@globex.com"
    reporter = by_id["10002"].customer
    assert (reporter.email, reporter.name) == (None, "Reporter 2"), "the email is hidden: the name stays"


async def test_zendesk_requesters_and_organizations_come_side_loaded(sessions: Sessions) -> None:
    vendor = FakeVendor("zendesk")
    vendor.add(4)
    for number, record in enumerate(vendor.records, start=1):
        record["requester_id"] = 60 + (number % 2)
    vendor.records[0]["organization_id"] = 90
    vendor.sideloads = {
        "users": [
            {"id": 60, "name": "Ola Nordmann", "email": "ola@fjord.no", "organization_id": 91},
            {"id": 61, "name": "Kari", "email": "kari@umbrella.com", "organization_id": None},
        ],
        "organizations": [{"id": 90, "name": "Umbrella"}, {"id": 91, "name": "Fjord AS"}],
    }
    async with serving(vendor) as base:
        await sync_source(sessions, connector_at("zendesk", base))
    assert all(request["params"]["include"] == "users,organizations" for request in vendor.requests)
    by_id = await items(sessions)
    first, second = by_id["5001"].customer, by_id["5002"].customer
    assert (first.email, first.company) == ("kari@umbrella.com", "Umbrella"), "the ticket's own organization"
    assert (second.email, second.name, second.company) == ("ola@fjord.no", "Ola Nordmann", "Fjord AS")
    assert not vendor.lookups, "side-loading needs no request of its own"


def test_the_vendor_records_used_here_are_the_sync_shapes() -> None:
    assert make_record("gong", 1, EPOCH + timedelta(hours=1))["metaData"]["id"] == "9001"
