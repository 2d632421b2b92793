"""Sales calls with their transcripts: one closed item whose text is the speaker-labelled dialogue."""

from __future__ import annotations

from libs.schemas import transcripts
from libs.schemas.feedback import FeedbackStatus
from libs.schemas.transcripts import SpeakerRole
from services.ingest.connectors.chorus import Chorus, ChorusSettings
from services.ingest.connectors.gong import Gong, GongSettings

# Gong's call data (the metaData of its published webhook sample) with parties and the monologues
# /v2/calls/transcript returns for the call, as the sync attaches them.
GONG_CALL = {
    "metaData": {
        "id": "5599332235511222779",
        "url": "http://local.gong-it.net:8080/call?id=5599332235511222771",
        "title": "Ron/Speedman",
        "started": "2019-10-18T14:03:37.041977-07:00",
    },
    "parties": [
        {"speakerId": "111", "name": "Ron Seller", "affiliation": "Internal"},
        {"speakerId": "222", "name": "Dana Lee", "emailAddress": "dana@speedman.io", "affiliation": "External"},
    ],
    "content": {"brief": "<p>Speedman asked about SSO.</p>"},
    "transcript": [
        {"speakerId": "111", "topic": "Intro", "sentences": [{"start": 0, "end": 900, "text": "Thanks for joining."}]},
        {
            "speakerId": "222",
            "topic": "Needs",
            "sentences": [
                {"start": 1000, "end": 4000, "text": "We need SAML SSO before the rollout."},
                {"start": 4000, "end": 6000, "text": "The export keeps failing too."},
            ],
        },
        {"speakerId": "333", "sentences": [{"start": 6000, "end": 7000, "text": "Sorry, I joined late."}]},
    ],
}


def test_a_gong_call_with_its_transcript_is_the_dialogue_closed() -> None:
    item = Gong(GongSettings()).transform_to_standard(GONG_CALL)
    assert item.description.splitlines() == [
        "Ron Seller [internal]: Thanks for joining.",
        "Dana Lee [customer]: We need SAML SSO before the rollout. The export keeps failing too.",
        "Speaker 333 [unknown]: Sorry, I joined late.",
    ]
    assert item.status == FeedbackStatus.CLOSED and {"sales-call", "transcript"} <= set(item.tags)
    assert (item.title, item.customer.email, item.source_id) == (
        "Ron/Speedman",
        "dana@speedman.io",
        "5599332235511222779",
    )
    assert transcripts.parse(item.description)[1].role == SpeakerRole.CUSTOMER


def test_a_gong_call_without_a_transcript_stays_one_open_item_with_its_brief() -> None:
    call = {key: value for key, value in GONG_CALL.items() if key != "transcript"}
    item = Gong(GongSettings()).transform_to_standard(call)
    assert item.description == "Speedman asked about SSO."
    assert item.status == FeedbackStatus.NEW and "transcript" not in item.tags


def test_a_chorus_meeting_with_its_utterances_is_the_dialogue_closed() -> None:
    meeting = {
        "engagement_id": "EE8ED5BBBC254177B8201B9D84855949",
        "subject": "Unscheduled Meeting",
        "date_time": 1632490362,
        "participants": [
            {"name": "Mike Gorman", "type": "rep", "company_name": "ZoomInfo"},
            {"name": "Ana Ruiz", "email": "ana@initech.com", "company_name": "Initech"},
        ],
        "tracker_matches": [{"name": "Objection - Great Question / Feedback"}],
        "utterances": [
            {"speaker_name": "Mike Gorman", "speaker_type": "rep", "snippet": "What would help your team?"},
            {"speaker_name": "Ana Ruiz", "snippet": "It would be great if reports could be scheduled."},
            {"speaker_name": "Mike Gorman", "snippet": "Noted."},
        ],
    }
    item = Chorus(ChorusSettings()).transform_to_standard(meeting)
    assert [(turn.speaker, turn.role) for turn in transcripts.parse(item.description)] == [
        ("Mike Gorman", SpeakerRole.INTERNAL),
        ("Ana Ruiz", SpeakerRole.CUSTOMER),
        ("Mike Gorman", SpeakerRole.INTERNAL),
    ]
    assert item.status == FeedbackStatus.CLOSED
    assert item.tags == ["Objection - Great Question / Feedback", "sales-call", "transcript"]
    assert item.customer.company == "Initech"
