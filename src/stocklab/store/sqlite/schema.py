"""The embedded store's schema, as numbered migrations (SQLite `user_version`).

Append a migration to change the schema; never edit one that has shipped.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema.
    """
    CREATE TABLE instruments (
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        market TEXT NOT NULL,
        kind TEXT NOT NULL,
        listed_on TEXT,
        updated_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX instruments_market ON instruments (market, code);

    CREATE TABLE bars (
        code TEXT NOT NULL,
        tf TEXT NOT NULL,
        ts INTEGER NOT NULL,
        open INTEGER NOT NULL,
        high INTEGER NOT NULL,
        low INTEGER NOT NULL,
        close INTEGER NOT NULL,
        volume INTEGER NOT NULL,
        value INTEGER,
        PRIMARY KEY (code, tf, ts)
    ) WITHOUT ROWID;

    -- one row per (code, timeframe): what bar_overview shows, kept current by every write
    CREATE TABLE series (
        code TEXT NOT NULL,
        tf TEXT NOT NULL,
        count INTEGER NOT NULL,
        first INTEGER NOT NULL,
        last INTEGER NOT NULL,
        source TEXT,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (code, tf)
    ) WITHOUT ROWID;

    CREATE TABLE flows (
        code TEXT NOT NULL,
        kind TEXT NOT NULL,
        day TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (code, kind, day)
    ) WITHOUT ROWID;

    CREATE TABLE accounts (
        account_id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        data TEXT NOT NULL
    );

    CREATE TABLE orders (
        client_id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX orders_account ON orders (account_id, created_at);
    CREATE INDEX orders_status ON orders (status, created_at);

    CREATE TABLE fills (
        account_id TEXT NOT NULL,
        fill_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (account_id, fill_id)
    );
    CREATE INDEX fills_client ON fills (client_id, ts);
    CREATE INDEX fills_ts ON fills (ts);

    CREATE TABLE positions (
        account_id TEXT NOT NULL,
        code TEXT NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (account_id, code)
    );

    CREATE TABLE job_runs (
        run_id TEXT PRIMARY KEY,
        job TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX job_runs_started ON job_runs (started_at);
    CREATE INDEX job_runs_job ON job_runs (job, started_at);

    CREATE TABLE backtests (
        backtest_id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX backtests_created ON backtests (created_at);

    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts INTEGER NOT NULL,
        operation TEXT NOT NULL,
        collection TEXT NOT NULL,
        count INTEGER NOT NULL,
        actor TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX audit_ts ON audit (ts);
    CREATE INDEX audit_op ON audit (operation, ts);
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
    """,
    # 2: where each instrument came from (the UI marks simulated data).
    """
    ALTER TABLE instruments ADD COLUMN source TEXT NOT NULL DEFAULT 'unknown';
    """,
    # 3: INSERT OR REPLACE on an existing entry deletes it without firing the DELETE
    # trigger (recursive triggers are off); refuse an insert whose id is taken.
    """
    CREATE TRIGGER audit_no_replace BEFORE INSERT ON audit
        WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
    """,
    # 4: a backtest's summary beside its record, so a list never reads trades and equity
    # (rows saved before it have none: their summary is made from the record once read).
    """
    ALTER TABLE backtests ADD COLUMN summary TEXT;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
