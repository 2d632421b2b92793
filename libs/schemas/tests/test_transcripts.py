from libs.schemas.transcripts import SpeakerRole, Turn, is_transcript, parse, render


def test_a_rendered_transcript_reads_back_as_the_same_turns() -> None:
    turns = [
        Turn(speaker="Sam Rivera", role=SpeakerRole.INTERNAL, text="How is the rollout going?"),
        Turn(speaker="Dana Lee", role=SpeakerRole.CUSTOMER, text="Well.\nBut the export keeps failing."),
        Turn(speaker="Dana Lee", role=SpeakerRole.CUSTOMER, text="Every night."),
        Turn(speaker="Sam: [Rivera]", role=SpeakerRole.INTERNAL, text="   "),
    ]
    text = render(turns)
    assert text.splitlines() == [
        "Sam Rivera [internal]: How is the rollout going?",
        "Dana Lee [customer]: Well. But the export keeps failing. Every night.",
    ]
    assert parse(text) == [
        Turn(speaker="Sam Rivera", role=SpeakerRole.INTERNAL, text="How is the rollout going?"),
        Turn(speaker="Dana Lee", role=SpeakerRole.CUSTOMER, text="Well. But the export keeps failing. Every night."),
    ]


def test_unlabelled_turns_and_continuation_lines_are_read() -> None:
    text = "Alex: We need SSO.\nIt blocks our rollout.\nJordan: Noted, thanks."
    assert parse(text) == [
        Turn(speaker="Alex", text="We need SSO. It blocks our rollout."),
        Turn(speaker="Jordan", text="Noted, thanks."),
    ]


def test_only_a_dialogue_long_enough_is_a_transcript() -> None:
    dialogue = "\n".join(["Alex: We need SSO for the whole team.", "Jordan: Noted, anything else?"] * 3)
    assert is_transcript(dialogue, min_chars=100)
    assert not is_transcript(dialogue, min_chars=10_000)
    template = "Steps: open the export page and click CSV.\nExpected: a file.\nActual: error 500.\nVersion: 2.3.1"
    assert not is_transcript(template, min_chars=10), "labels said once each are not speakers"
