"""kill -9 a gateway node mid-call and resume the call on ANOTHER node that shares the PostgreSQL store:
the numbering continues from the shared store and the new finals are stored next to the old ones.

What this relies on (read in the code):
* `gateway/takeover.py` `stored_seq`: a `start` with `resume_from` for a call the registry does not know
  (here: a node that never saw it) asks `rt.seq_source`, which `gateway/http/admin.py` sets to the
  store's `last_seq` (`store/core.py`: `MAX(seq)` of the call's stored finals); `gateway/driver.py`
  `_begin` then numbers the new finals from it (`record.first_seq = stored_seq + 1`).
* Both nodes get the same `--store-dsn` and the same `--master-key-file` (`gateway/cli.py`; without a key
  file each data dir would get its own generated development key, `ensure_master_key`, and B could not
  read what A stored).
* The one-node version is `tests/reliability/test_rel_crash_resume.py` (same data dir, sqlite); its
  connection helpers and `tests/reliability/process.py` (gateway child process, admin token, kill -9)
  are reused here; the server is `tests/pg.py`, the one `tests/store` uses.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from store import MasterKey
from store.keys import write_key_file
from tests.pg import PgCluster, pg_server
from tests.reliability.process import start_process
from tests.reliability.test_rel_crash_resume import CALL, _first_connection, _resumed_connection, _stored


@pytest.fixture(scope="module")
def pg() -> Iterator[PgCluster]:
    with pg_server() as cluster:
        yield cluster


def _pg_seqs(dsn: str) -> list[int]:
    """The call's stored final seqs, read straight from PostgreSQL (not through any gateway)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT seq FROM finals WHERE tenant = %s AND call_id = %s ORDER BY seq", ("tenant-a", CALL)
        ).fetchall()
    return [int(r[0]) for r in rows]


async def test_a_call_killed_on_node_a_resumes_on_node_b_from_the_shared_store(pg: PgCluster, tmp_path: Path) -> None:
    """Node A (own data dir and port) stores finals 1..k, then dies by kill -9. Node B (another data dir,
    another port, an empty registry) gets the `resume_from=k` reconnect: its finals are k+1, k+2, ...
    with no gap, and the shared store (read through B's admin API and straight from PostgreSQL) holds
    1..n exactly once each, the post-resume finals included."""
    dsn = pg.new_database()
    key = tmp_path / "master.key"
    write_key_file(key, MasterKey.generate())
    shared = ("--store-dsn", dsn, "--master-key-file", str(key))
    dir_a, dir_b = tmp_path / "node-a", tmp_path / "node-b"
    dir_a.mkdir()
    dir_b.mkdir()

    a = await asyncio.to_thread(start_process, dir_a, "a.log", *shared)
    try:
        before = await _first_connection(a)
    finally:
        await asyncio.to_thread(a.kill9)
    assert a.proc.returncode == -signal.SIGKILL
    assert before == list(range(1, len(before) + 1)), f"node A's stored finals are not 1..k: {before}"
    assert _pg_seqs(dsn) == before, "node A's finals are not in the shared PostgreSQL store"
    k = before[-1]

    b = await asyncio.to_thread(start_process, dir_b, "b.log", *shared)
    try:
        assert b.port != a.port
        new = await _resumed_connection(b, k)
        await asyncio.sleep(0.5)  # the last final's write
        via_b = [f["seq"] for f in await _stored(b)]
    finally:
        await asyncio.to_thread(b.stop)
    assert new, f"node B sent no finals after the resume: {b.log()[-2000:]}"
    assert new == list(range(k + 1, k + 1 + len(new))), f"node B's finals do not continue after {k}: {new}"
    n = new[-1]
    direct = _pg_seqs(dsn)
    assert via_b == list(range(1, n + 1)), f"B's admin API: {via_b}, expected 1..{n}"
    assert direct == list(range(1, n + 1)), f"PostgreSQL: {direct}, expected 1..{n}"
    assert set(new) <= set(direct) and len(direct) == len(set(direct)) == len(before) + len(new)
    assert not list(dir_b.glob("*.db")) and not list(dir_a.glob("*.db")), "a node fell back to a local store"
