"""What Dagster's event log costs per event: replays the events of one stored run into a fresh
event-log storage, Dagster's stock `SqliteEventLogStorage` or helhedsdata's
`FastSqliteEventLogStorage` (orchestration/dagster_storage.py), and prints wall and CPU time.

    python bench/event_log.py <home>/dagster/history/runs/<run_id>.db stock|fast [--out DIR]
"""
import argparse
import resource
import shutil
import sqlite3
import tempfile
import time
import uuid

import dagster  # noqa: F401  (registers the serdes whitelist)
from dagster_shared.serdes import deserialize_value


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_db")
    p.add_argument("variant", choices=["stock", "fast"])
    p.add_argument("--out", help="storage folder (default: a temporary one, removed afterwards)")
    a = p.parse_args()
    rows = sqlite3.connect(a.run_db).execute("SELECT event FROM event_logs ORDER BY id").fetchall()
    events = [deserialize_value(r[0]) for r in rows]
    out = a.out or tempfile.mkdtemp(prefix="event-log-")
    shutil.rmtree(out, ignore_errors=True)
    if a.variant == "stock":
        from dagster._core.storage.event_log import SqliteEventLogStorage as Storage
    else:
        from orchestration.dagster_storage import FastSqliteEventLogStorage as Storage
    storage = Storage(out)
    run_id = str(uuid.uuid4())
    t0, r0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    for e in events:
        storage.store_event(e._replace(run_id=run_id) if e.run_id else e)
    storage.dispose()
    wall, r1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    print(f"{a.variant}: {len(events)} events in {wall:.2f} s wall, {cpu:.2f} s CPU "
          f"({wall / len(events) * 1000:.1f} ms per event)")
    if not a.out:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
