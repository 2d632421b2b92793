from datetime import UTC, datetime

from libs.schemas.feedback import Source
from services.ingest.domain import FeedbackCreate, item_id, parse_bulk, received_item

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_a_source_item_always_maps_to_the_same_hub_id() -> None:
    first = FeedbackCreate(source=Source.ZENDESK, source_id="4711", title="Export broken")
    again = FeedbackCreate(source=Source.ZENDESK, source_id="4711", title="Export broken (edited)")
    other_source = FeedbackCreate(source=Source.INTERCOM, source_id="4711", title="Export broken")
    assert item_id(first) == item_id(again) != item_id(other_source)


def test_items_without_a_source_id_get_fresh_ids() -> None:
    body = FeedbackCreate(title="Dark mode please")
    assert item_id(body) != item_id(body)


def test_received_item_keeps_the_sources_creation_time_or_uses_now() -> None:
    created = datetime(2026, 1, 5, tzinfo=UTC)
    assert received_item(FeedbackCreate(title="x", created_at=created), NOW).created_at == created
    item = received_item(FeedbackCreate(title="x"), NOW)
    assert item.created_at == item.received_at == NOW


def test_csv_rows_become_items_with_customer_and_tags() -> None:
    csv_body = (
        b"title,description,source,customer_email,customer_company,tags\n"
        b"Need SSO,Okta please,canny,it@acme.io,Acme,sso; auth\n"
        b"Charts slow,,intercom,,,\n"
    )
    rows, errors = parse_bulk(csv_body, "text/csv")
    assert errors == []
    assert rows[0].customer.email == "it@acme.io" and rows[0].tags == ["sso", "auth"]
    assert rows[1].source == Source.INTERCOM and rows[1].description == ""


def test_every_bad_row_is_named_with_its_reason() -> None:
    body = b'[{"title": "ok"}, {"title": ""}, {"title": "x", "source": "fax"}, {"title": "y", "colour": "red"}]'
    rows, errors = parse_bulk(body, "application/json")
    assert len(rows) == 1
    assert [error.row for error in errors] == [2, 3, 4]
    assert "title" in errors[0].errors[0] and "source" in errors[1].errors[0] and "colour" in errors[2].errors[0]


def test_json_lines_are_read_one_item_per_line() -> None:
    rows, errors = parse_bulk(b'{"title": "a"}\n\n{"title": "b"}\n', "application/x-ndjson")
    assert [row.title for row in rows] == ["a", "b"] and errors == []
