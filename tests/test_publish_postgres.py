"""PostgreSQL publication (issue 5, item 5) against the real PostgreSQL on 127.0.0.1:5432:
the same tables as the DuckDB file, typed as docs/published.md says, swapped in atomically,
readable (only) by the reader role."""
import hashlib
import os
from datetime import date

import duckdb
import psycopg
import pytest

from warehouse.publish import publish
from warehouse.publish_pg import READER_ROLE, PostgresPublicationError, publish_postgres

pytestmark = pytest.mark.slow  # every test here needs a pipeline run

TABLES = ["indicator_values", "maalgruppe_status", "publication_log"]


def pg_connect(url, **kw):
    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), **kw)


def pg_rows(url, table):
    with pg_connect(url) as con:
        return con.execute(f"SELECT * FROM published.{table}").fetchall()


def duck_rows(path, table):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"SELECT * FROM published.{table}").fetchall()
    finally:
        con.close()


def checksum(rows):
    """Order-free: the sorted reprs of the rows (dates, floats, booleans and NULLs as Python sees them)."""
    return hashlib.sha256("\n".join(sorted(repr(tuple(r)) for r in rows)).encode()).hexdigest()


def pg_state(url):
    with pg_connect(url) as con:
        oids = con.execute("SELECT c.relname, c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                           "WHERE n.nspname = 'published' AND c.relkind = 'r' ORDER BY 1").fetchall()
        schemas = [r[0] for r in con.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'published%' ORDER BY 1").fetchall()]
    return oids, schemas, {t: checksum(pg_rows(url, t)) for t in TABLES}


def entry(run_id):
    return {"publication_id": run_id, "extract_dates": {"momentum": date(2021, 3, 1)}, "checks": []}


def test_postgres_holds_the_same_tables_as_the_file(small_pg_run):
    _, home, url = small_pg_run
    for t in TABLES:
        duck, pg = duck_rows(home / "publication.duckdb", t), pg_rows(url, t)
        assert len(pg) == len(duck) > 0, t
        assert checksum(pg) == checksum(duck), t
    # One publication so far: the log has its one row, the run's.
    assert len(pg_rows(url, "publication_log")) == 1


def test_every_published_table_and_column_is_described_in_both_targets(small_pg_run):
    """dbt's descriptions (_published.yml, persist_docs) and the log's own travel with the tables:
    BI tools show them as comments, in the DuckDB file and in PostgreSQL alike."""
    import yaml

    from warehouse.publication_log import LOG_COLUMN_DESCRIPTIONS

    _, home, url = small_pg_run
    spec = yaml.safe_load(open(os.path.join(os.path.dirname(__file__), "..", "dbt_project", "models", "marts",
                                            "published", "_published.yml")))
    expected = {m["name"].removeprefix("published_"): {c["name"]: " ".join(c["description"].split())
                                                       for c in m["columns"]} for m in spec["models"]}
    expected["publication_log"] = LOG_COLUMN_DESCRIPTIONS
    con = duckdb.connect(str(home / "publication.duckdb"), read_only=True)
    duck = {(t, c): com for t, c, com in con.execute(
        "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE schema_name = 'published'").fetchall()}
    duck_tables = dict(con.execute("SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'published'").fetchall())
    con.close()
    with pg_connect(url) as pg:
        pgc = {(t, c): com for t, c, com in pg.execute("""
            SELECT c.relname, a.attname, col_description(c.oid, a.attnum) FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
            WHERE n.nspname = 'published' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped""").fetchall()}
        pg_tables = dict(pg.execute("""SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'published' AND c.relkind = 'r'""").fetchall())
    assert set(duck) == set(pgc) == {(t, c) for t, cols in expected.items() for c in cols}
    for (t, c), text in expected_items(expected):
        assert duck[(t, c)] == pgc[(t, c)] == text, (t, c)
    assert set(duck_tables) == set(pg_tables) == set(TABLES)
    assert all(duck_tables[t] and duck_tables[t] == pg_tables[t] for t in TABLES)


def expected_items(expected: dict) -> list:
    return [((t, c), text) for t, cols in expected.items() for c, text in cols.items()]


def test_column_types_follow_the_published_contract(small_pg_run):
    _, _, url = small_pg_run
    with pg_connect(url) as con:
        types = dict(((t, c), ty) for t, c, ty in con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'published'").fetchall())
    assert types[("indicator_values", "plan_id")] == "text"
    assert types[("indicator_values", "variant")] == "text"
    assert types[("indicator_values", "period_start")] == "date"
    assert types[("indicator_values", "value")] == "double precision"
    assert types[("indicator_values", "suppressed")] == "boolean"
    assert types[("indicator_values", "on_track")] == "boolean"
    assert types[("indicator_values", "extract_date")] == "date"
    assert types[("maalgruppe_status", "persons")] == "integer"
    assert types[("maalgruppe_status", "as_of_date")] == "date"
    assert types[("publication_log", "published_at")] == "timestamp without time zone"
    # An empty variant ('' = none) stays '', and NULL stays NULL, through COPY's CSV.
    sql = ("SELECT count(*) FILTER (WHERE variant = ''), count(*) FILTER (WHERE variant IS NULL), "
           "count(*) FILTER (WHERE value IS NULL) FROM published.indicator_values")
    con = duckdb.connect(str(small_pg_run[1] / "publication.duckdb"), read_only=True)
    try:
        in_file = con.execute(sql).fetchone()
    finally:
        con.close()
    with pg_connect(url) as pg:
        assert pg.execute(sql).fetchone() == in_file
    assert in_file[0] > 0  # the generated inbox has indicators without a variant


def test_a_failure_before_the_swap_leaves_the_old_schema_untouched(small_pg_run):
    _, home, url = small_pg_run
    before = pg_state(url)
    seen_by_reader = {}

    def inject(_conn):
        # Loaded, granted, not yet swapped: another session still sees the old publication only.
        with pg_connect(url) as other:
            seen_by_reader["count"] = other.execute("SELECT count(*) FROM published.indicator_values").fetchone()[0]
            seen_by_reader["next"] = other.execute(
                "SELECT count(*) FROM pg_namespace WHERE nspname = 'published_next'").fetchone()[0]
        raise RuntimeError("injected fault between building and swapping")

    with pytest.raises(PostgresPublicationError, match="previous PostgreSQL publication is unchanged.*injected"):
        publish_postgres(url, home / "publication.duckdb", "run-injected", before_swap=inject)
    assert seen_by_reader == {"count": len(duck_rows(home / "publication.duckdb", "indicator_values")), "next": 0}
    assert pg_state(url) == before  # same tables (same OIDs), same rows, no staging schema left


def test_unreachable_postgres_fails_and_changes_neither_target(small_pg_run, tmp_path):
    _, home, url = small_pg_run
    target = home / "publication.duckdb"
    file_before, pg_before = target.read_bytes(), pg_state(url)
    bad = "postgresql+psycopg://postgres:secret-pw@127.0.0.1:1/nowhere"
    with pytest.raises(PostgresPublicationError) as e:
        publish(home / "warehouse.duckdb", target, entry("run-unreachable"), bad)
    assert "127.0.0.1:1/nowhere" in str(e.value) and "secret-pw" not in str(e.value)
    assert target.read_bytes() == file_before
    assert not list(home.glob(".publication.duckdb.*.tmp"))
    assert pg_state(url) == pg_before


def test_the_publication_step_fails_with_a_clear_message(small_pg_run, monkeypatch):
    import dagster as dg

    from orchestration.assets.publish import publication
    from orchestration.resources import HelhedsdataResource

    inbox, home, _ = small_pg_run
    before = (home / "publication.duckdb").read_bytes()
    monkeypatch.setenv("HELHEDSDATA_PUBLISH_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    # An instance of its own, open while the definitions load: Dagster keeps the newest
    # instance's state storage in a context variable, and an instance an earlier test in
    # this process closed out of order can be left there.
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([publication], raise_on_error=False, instance=instance,
                                resources={"helhedsdata": HelhedsdataResource(home=str(home), inbox=str(inbox))})
    assert not result.success
    failure = next(ev for ev in result.all_events if ev.is_step_failure)
    assert "PostgreSQL publication to postgresql+psycopg://postgres@127.0.0.1:1/nowhere failed" in \
        failure.step_failure_data.error.message
    assert (home / "publication.duckdb").read_bytes() == before


def test_next_publication_swaps_carries_the_log_and_keeps_the_grants(small_pg_run):
    _, home, url = small_pg_run
    old_oids = pg_state(url)[0]
    publish(home / "warehouse.duckdb", home / "publication.duckdb", entry("run-second"), url)
    oids, schemas, sums = pg_state(url)
    assert schemas == ["published"]  # neither published_next nor published_old left behind
    assert {t for t, _ in oids} == set(TABLES) and set(oids).isdisjoint(old_oids)  # new tables
    log = pg_rows(url, "publication_log")
    assert [r[0] for r in sorted(log, key=lambda r: r[1])][-1] == "run-second" and len(log) == 2
    for t in TABLES:
        assert sums[t] == checksum(duck_rows(home / "publication.duckdb", t)), t
    with pg_connect(url) as con:
        con.execute(f"SET ROLE {READER_ROLE}")
        assert con.execute("SELECT count(*) FROM published.indicator_values").fetchone()[0] > 0


def test_reader_role_can_select_and_cannot_write(small_pg_run):
    _, _, url = small_pg_run
    with pg_connect(url) as con:
        assert con.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", [READER_ROLE]).fetchone() == (False,)
    # As docs/runbook.md says: a login for a BI user is a member of the reader role.
    login = f"bi_test_{os.getpid()}"
    with pg_connect(url, autocommit=True) as admin:
        admin.execute(f"DROP ROLE IF EXISTS {login}")
        admin.execute(f"CREATE ROLE {login} LOGIN IN ROLE {READER_ROLE}")
    try:
        bi_url = url.replace("postgres@", f"{login}@")
        with pg_connect(bi_url, autocommit=True) as bi:
            assert bi.execute("SELECT count(*) FROM published.maalgruppe_status").fetchone()[0] > 0
            assert bi.execute("SELECT count(*) FROM published.publication_log").fetchone()[0] >= 1
            for sql in ["INSERT INTO published.publication_log (publication_id) VALUES ('x')",
                        "UPDATE published.indicator_values SET value = 0",
                        "DELETE FROM published.maalgruppe_status",
                        "TRUNCATE published.indicator_values",
                        "DROP TABLE published.indicator_values",
                        "CREATE TABLE published.mine (x int)",
                        "CREATE TABLE public.mine (x int)"]:
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    bi.execute(sql)
    finally:
        with pg_connect(url, autocommit=True) as admin:
            admin.execute(f"DROP ROLE IF EXISTS {login}")


def test_running_periods_carry_period_complete_and_data_through_in_both_targets(small_pg_run):
    """The additive columns of docs/published.md ("Running periods"): typed and described alike in
    the file and in PostgreSQL; the generated extract (1 March 2021) publishes 2021 so far up to
    28 February under the calendar key, not assessed; every other row is complete up to its end."""
    _, home, url = small_pg_run
    con = duckdb.connect(str(home / "publication.duckdb"), read_only=True)
    try:
        duck = {c: (t, com) for c, t, com in con.execute(
            "SELECT column_name, data_type, comment FROM duckdb_columns() WHERE schema_name = 'published' "
            "AND table_name = 'indicator_values' AND column_name IN ('period_complete', 'data_through')").fetchall()}
        last_two = [r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'published' AND table_name = 'indicator_values' "
            "ORDER BY column_index DESC LIMIT 2").fetchall()]
    finally:
        con.close()
    with pg_connect(url) as pg:
        pgc = {c: (t, com) for c, t, com in pg.execute("""
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), col_description(c.oid, a.attnum) FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
            WHERE n.nspname = 'published' AND c.relname = 'indicator_values'
              AND a.attname IN ('period_complete', 'data_through')""").fetchall()}
        summary = pg.execute("""
            SELECT period_complete, count(*), count(*) FILTER (WHERE data_through = period_end),
                   min(data_through), max(data_through) FILTER (WHERE NOT period_complete),
                   count(*) FILTER (WHERE on_track IS NOT NULL), min(period_end) FILTER (WHERE NOT period_complete)
            FROM published.indicator_values GROUP BY 1 ORDER BY 1""").fetchall()
    assert last_two == ["data_through", "period_complete"]  # added at the end: existing columns keep their place
    assert duck["period_complete"][0] == "BOOLEAN" and duck["data_through"][0] == "DATE"
    assert pgc["period_complete"][0] == "boolean" and pgc["data_through"][0] == "date"
    for c in ("period_complete", "data_through"):
        assert duck[c][1] and duck[c][1] == pgc[c][1], c
    assert "running" in duck["period_complete"][1] and "last day the figure covers" in duck["data_through"][1]
    (f, running, running_at_end, _, through, assessed, calendar_end), (t, complete, complete_at_end, *_) = summary
    assert f is False and t is True and running > 0 and complete > 0
    assert running_at_end == 0 and complete_at_end == complete
    assert through == date(2021, 2, 28) and calendar_end >= date(2021, 3, 31) and assessed == 0
