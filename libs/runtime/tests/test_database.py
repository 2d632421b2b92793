"""Which errors mean a dependency is down (wait for it, or answer 503) and which are not (dead-letter);
which rows a session already holds."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from sqlalchemy import event, text
from sqlmodel import Field, SQLModel

from libs.runtime.broker import free_port
from libs.runtime.database import get_many, is_transient, make_engine, session_factory


async def test_a_database_that_refuses_connections_is_down() -> None:
    # Nothing listens on a free port: the connection is refused.
    engine = make_engine(f"postgresql+asyncpg://prodops@127.0.0.1:{free_port()}/prodops", "probe")
    with pytest.raises(Exception) as caught:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    await engine.dispose()
    assert is_transient(caught.value), repr(caught.value)


async def test_a_dependency_that_does_not_answer_in_time_is_down() -> None:
    with pytest.raises(TimeoutError) as caught:
        await asyncio.wait_for(asyncio.sleep(1), timeout=0.01)
    assert is_transient(caught.value)


def test_a_missing_file_is_no_outage(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as caught:
        (tmp_path / "model.joblib").read_bytes()
    assert not is_transient(caught.value), "waiting would not bring it back: the message is dead-lettered"


def test_a_programming_error_is_no_outage() -> None:
    assert not is_transient(ValueError("a bad value"))


class Note(SQLModel, table=True):
    __tablename__ = "probe_notes"

    id: UUID = Field(primary_key=True)
    text: str


async def test_rows_the_session_holds_are_not_read_again_and_the_others_in_one_query(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'notes.db'}", "probe")
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all, tables=[SQLModel.metadata.tables["probe_notes"]])
    read, changed, unread, pending, absent = uuid4(), uuid4(), uuid4(), uuid4(), uuid4()
    async with session_factory(engine)() as session, session.begin():
        session.add_all([Note(id=read, text="read"), Note(id=changed, text="changed"), Note(id=unread, text="unread")])
    selects: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    async with session_factory(engine)() as session, session.begin():
        note = await session.get(Note, read)
        edited = await session.get(Note, changed)
        assert note is not None and edited is not None
        edited.text = "edited, not flushed"
        selects.clear()
        assert await get_many(session, Note, [read, changed]) == {read: note, changed: edited}
        assert selects == [], "what a query would hand back, without one"
        assert edited.text == "edited, not flushed"

        session.add(Note(id=pending, text="added, not flushed"))
        found = await get_many(session, Note, [read, changed, unread, pending, absent])
        assert len(selects) == 1, "the rows it does not hold, in one query"
        assert set(found) == {read, changed, unread, pending}
        assert found[unread].text == "unread" and found[pending].text == "added, not flushed"

        session.expire(note)
        selects.clear()
        assert (await get_many(session, Note, [read]))[read].text == "read"
        assert len(selects) == 1, "an expired row is read again"
    await engine.dispose()
