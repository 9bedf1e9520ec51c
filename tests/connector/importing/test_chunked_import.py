"""A file is read, checked and written a chunk at a time; where the chunks end must never
change what is stored or which errors are reported, and every error keeps its line."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.errors import ImportRejected
from connector.importing import import_file
from connector.model import Connection, Member
from connector.rules import RulesConfig
from connector.services import Actor
from connector.store import Store
from tests.conftest import NewDatabaseUrl

MEMBER_IDS = [f"m{n}" for n in range(6)]
MEMBERS_CSV = "Nr;Name;Kreis\r\n" + "".join(f"{m};Mitglied {m};Kunde\r\n" for m in MEMBER_IDS)
# A fixed creation time: without one each import stamps its own, and stores would differ.
CONNECTIONS_HEADER = "Nr;Von;An;Stärke;Empfehlungsbereit;Erstellt am\r\n"


def _import(store: Store, path: Path, chunk_rows: int) -> None:
    import_file(store, path, rules=RulesConfig(), actor=Actor("test"), chunk_rows=chunk_rows)


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="cp1252", newline="")
    return path


def _connections_csv(rows: list[tuple[str, str, str, int]]) -> str:
    lines = [f"{cid};{a};{b};{strength};ja;31.12.2025 14:30\r\n" for cid, a, b, strength in rows]
    return CONNECTIONS_HEADER + "".join(lines)


def _outcome(
    url: str, directory: Path, rows: list[tuple[str, str, str, int]], chunk_rows: int
) -> object:
    """What one import leaves behind: the errors it reported, or the connections stored."""
    store = Store.open(url)
    try:
        _import(store, _write(directory, "members.csv", MEMBERS_CSV), chunk_rows=10_000)
        # One connection stored before: a file that reuses its pair under another id is refused.
        _import(
            store,
            _write(directory, "connections-0.csv", _connections_csv([("old", "m0", "m1", 3)])),
            chunk_rows=10_000,
        )
        try:
            _import(store, _write(directory, "connections.csv", _connections_csv(rows)), chunk_rows)
        except ImportRejected as rejected:
            return sorted((e.line, e.field, e.message) for e in rejected.errors)
        with store.reading() as tx:
            return sorted(c.model_dump_json() for c in tx.find(Connection))
    finally:
        store.close()


# Few ids and members, so duplicates (ids and pairs), unknown members ("m9"), the stored
# pair m0 -> m1, its own id "old" and bad strengths (0, 6) all come up often.
_NEW_ROW = st.tuples(
    st.sampled_from(["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"]),
    st.sampled_from([*MEMBER_IDS, "m9"]),
    st.sampled_from(MEMBER_IDS),
    st.integers(min_value=0, max_value=6),
)
# The stored connection "old" comes again: with its own pair (an update, valid or not) or
# moved to another pair, while other rows may take its old pair m0 -> m1 before or after it.
_OLD_ROW = st.one_of(
    st.tuples(st.just("old"), st.just("m0"), st.just("m1"), st.integers(0, 6)),
    st.tuples(
        st.just("old"),
        st.sampled_from([*MEMBER_IDS, "m9"]),
        st.sampled_from(MEMBER_IDS),
        st.integers(0, 6),
    ),
)
_ROW = st.one_of(_NEW_ROW, _OLD_ROW)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_ROW, min_size=1, max_size=12), chunk_rows=st.integers(1, 13))
def test_the_chunk_size_never_changes_the_outcome(
    new_database_url: NewDatabaseUrl,
    tmp_path: Path,
    rows: list[tuple[str, str, str, int]],
    chunk_rows: int,
) -> None:
    directory = tmp_path / uuid.uuid4().hex[:8]
    directory.mkdir()
    in_one_chunk = _outcome(new_database_url(), directory, rows, chunk_rows=10_000)
    in_chunks = _outcome(new_database_url(), directory, rows, chunk_rows=chunk_rows)
    assert in_chunks == in_one_chunk


def _store_first(store: Store, directory: Path, rows: list[tuple[str, str, str, int]]) -> None:
    _import(store, _write(directory, "connections-before.csv", _connections_csv(rows)), 10_000)


def _stored_connections(store: Store) -> dict[str, tuple[str, str, int]]:
    with store.reading() as tx:
        return {c.id: (c.from_id, c.to_id, c.strength) for c in tx.find(Connection)}


@pytest.mark.parametrize("chunk_rows", [1, 10_000])
@pytest.mark.parametrize("mover_first", [True, False])
def test_a_stored_connection_moved_while_another_row_takes_its_pair_is_imported(
    members_stored: Store, tmp_path: Path, chunk_rows: int, mover_first: bool
) -> None:
    before = [("c-a", "m0", "m1", 3), ("c-b", "m2", "m3", 3)]
    _store_first(members_stored, tmp_path, before)
    mover = ("c-a", "m0", "m2", 4)  # c-a leaves m0 -> m1 ...
    taker = ("c-new", "m0", "m1", 5)  # ... and a new row takes it, before or after
    rows = [mover, taker] if mover_first else [taker, mover]
    path = _write(tmp_path, "connections.csv", _connections_csv(rows))

    _import(members_stored, path, chunk_rows)

    assert _stored_connections(members_stored) == {
        "c-a": ("m0", "m2", 4),
        "c-b": ("m2", "m3", 3),
        "c-new": ("m0", "m1", 5),
    }


@pytest.mark.parametrize("chunk_rows", [1, 10_000])
def test_two_stored_connections_that_swap_their_pairs_are_imported(
    members_stored: Store, tmp_path: Path, chunk_rows: int
) -> None:
    before = [("c-a", "m0", "m1", 3), ("c-b", "m0", "m2", 3)]
    _store_first(members_stored, tmp_path, before)
    swapped = [("c-a", "m0", "m2", 4), ("c-b", "m0", "m1", 5)]

    path = _write(tmp_path, "connections-swap.csv", _connections_csv(swapped))
    _import(members_stored, path, chunk_rows)

    assert _stored_connections(members_stored) == {"c-a": ("m0", "m2", 4), "c-b": ("m0", "m1", 5)}


@pytest.mark.parametrize("chunk_rows", [1, 10_000])
def test_a_pair_whose_holder_fails_or_never_comes_is_a_row_error_naming_the_holder(
    members_stored: Store, tmp_path: Path, chunk_rows: int
) -> None:
    before = [("c-a", "m0", "m1", 3), ("c-b", "m2", "m3", 3)]
    _store_first(members_stored, tmp_path, before)
    rows = [
        ("c-new", "m0", "m1", 5),  # line 2: c-a would leave m0 -> m1, but its row is bad
        ("c-a", "m0", "m9", 4),  # line 3: an unknown member
        ("c-other", "m2", "m3", 2),  # line 4: c-b holds m2 -> m3 and is not in the file
    ]
    path = _write(tmp_path, "connections.csv", _connections_csv(rows))

    with pytest.raises(ImportRejected) as rejected:
        _import(members_stored, path, chunk_rows)

    assert [(e.line, e.field, e.message) for e in rejected.value.errors] == [
        (
            2,
            "An",
            "this from_id/to_id pair is already stored as connection 'c-a'; "
            "use id 'c-a' to update it",
        ),
        (3, "An", "unknown member 'm9'"),
        (
            4,
            "An",
            "this from_id/to_id pair is already stored as connection 'c-b'; "
            "use id 'c-b' to update it",
        ),
    ]
    assert _stored_connections(members_stored) == {
        "c-a": ("m0", "m1", 3),
        "c-b": ("m2", "m3", 3),
    }


@pytest.fixture
def members_stored(store: Store, tmp_path: Path) -> Store:
    _import(store, _write(tmp_path, "members.csv", MEMBERS_CSV), chunk_rows=10_000)
    return store


def _distinct_rows(count: int) -> list[tuple[str, str, str, int]]:
    pairs = [(a, b) for a in MEMBER_IDS for b in MEMBER_IDS if a != b]
    return [(f"c{n}", *pairs[n], 1 + n % 5) for n in range(count)]


def test_an_error_in_the_third_chunk_names_its_line_and_column(
    members_stored: Store, tmp_path: Path
) -> None:
    rows = _distinct_rows(25)
    cid, a, b, _ = rows[23]  # row 24: line 25, in the third chunk of ten rows
    rows[23] = (cid, a, b, 7)
    path = _write(tmp_path, "connections.csv", _connections_csv(rows))

    with pytest.raises(ImportRejected) as rejected:
        _import(members_stored, path, chunk_rows=10)

    assert [(e.file, e.line, e.field) for e in rejected.value.errors] == [
        ("connections.csv", 25, "Stärke")
    ]
    with members_stored.reading() as tx:  # the first two chunks were written, then undone
        assert tx.count(Connection) == 0


def test_duplicates_across_chunks_name_the_first_line(
    members_stored: Store, tmp_path: Path
) -> None:
    rows = _distinct_rows(25)
    rows[14] = ("c2", *rows[14][1:])  # line 16 (chunk 2) reuses the id of line 4 (chunk 1)
    rows[22] = ("c22", *rows[5][1:3], 2)  # line 24 (chunk 3) reuses the pair of line 7
    path = _write(tmp_path, "connections.csv", _connections_csv(rows))

    with pytest.raises(ImportRejected) as rejected:
        _import(members_stored, path, chunk_rows=10)

    found = [(e.line, e.field, e.message) for e in rejected.value.errors]
    assert found == [
        (16, "Nr", "duplicate id; first used at line 4; keep one row"),
        (24, "An", "duplicate from_id/to_id pair; first at line 7"),
    ]


def test_a_clean_reimport_in_chunks_changes_nothing(members_stored: Store, tmp_path: Path) -> None:
    path = _write(tmp_path, "connections.csv", _connections_csv(_distinct_rows(25)))
    _import(members_stored, path, chunk_rows=7)
    with members_stored.reading() as tx:
        before = sorted(c.model_dump_json() for c in tx.find(Connection))

    _import(members_stored, path, chunk_rows=3)  # every pair now stored under its own id

    with members_stored.reading() as tx:
        assert sorted(c.model_dump_json() for c in tx.find(Connection)) == before
    assert len(before) == 25


def test_progress_is_reported_after_every_chunk(members_stored: Store, tmp_path: Path) -> None:
    path = _write(tmp_path, "connections.csv", _connections_csv(_distinct_rows(25)))
    heard: list[tuple[str, int]] = []

    import_file(
        members_stored,
        path,
        rules=RulesConfig(),
        actor=Actor("test"),
        chunk_rows=10,
        progress=lambda file, rows: heard.append((file, rows)),
    )

    assert heard == [("connections.csv", 10), ("connections.csv", 20), ("connections.csv", 25)]


def test_a_dry_run_checks_and_counts_everything_and_writes_nothing(
    members_stored: Store, tmp_path: Path
) -> None:
    path = _write(tmp_path, "connections.csv", _connections_csv(_distinct_rows(25)))

    report = import_file(
        members_stored, path, rules=RulesConfig(), actor=Actor("test"), chunk_rows=10, dry_run=True
    )

    assert dict(report.created) == {"connection": 25}
    with members_stored.reading() as tx:
        assert tx.count(Connection) == 0
    rows = _distinct_rows(25)
    rows[21] = ("c21", "m1", "m9", 3)  # an unknown member in the third chunk
    bad = _write(tmp_path, "connections-bad.csv", _connections_csv(rows))
    with pytest.raises(ImportRejected) as rejected:  # a dry run finds the same errors
        import_file(members_stored, bad, rules=RulesConfig(), actor=Actor("test"), dry_run=True)
    assert [(e.line, e.field) for e in rejected.value.errors] == [(23, "An")]


def test_an_id_the_model_normalises_still_updates_the_stored_record(
    store: Store, tmp_path: Path
) -> None:
    first = tmp_path / "members.json"
    first.write_text('[{"id": "m1", "name": "Anna", "circle": "customer"}]', encoding="utf-8")
    again = tmp_path / "members-2.json"
    again.write_text('[{"id": " m1 ", "name": "Berta", "circle": "customer"}]', encoding="utf-8")

    _import(store, first, chunk_rows=10)
    _import(store, again, chunk_rows=10)  # looked up as " m1 ", stored as "m1": no clash

    with store.reading() as tx:
        assert [(m.id, m.name) for m in tx.find(Member)] == [("m1", "Berta")]
