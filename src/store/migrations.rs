//! Schema versions. Append a migration; never edit one that has shipped.

use rusqlite_migration::{M, Migrations};

pub(super) fn migrations() -> Migrations<'static> {
    Migrations::new(vec![M::up(V1_DATASETS_ROWS_RUNS)])
}

const V1_DATASETS_ROWS_RUNS: &str = r#"
CREATE TABLE datasets (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    uploaded_at_ms  INTEGER NOT NULL,
    sha256          TEXT    NOT NULL,
    size_bytes      INTEGER NOT NULL,
    url_column      TEXT    NOT NULL,
    perf_column     TEXT    NOT NULL,
    notices         TEXT    NOT NULL DEFAULT '[]',  -- JSON array of strings
    is_demo         INTEGER NOT NULL DEFAULT 0
);

-- Every data row of an upload, accepted or not: nothing the user gave is dropped.
CREATE TABLE rows (
    dataset_id   INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    row_number   INTEGER NOT NULL,            -- as in a spreadsheet: the header is row 1
    accepted     INTEGER NOT NULL,
    video_url    TEXT,                        -- raw cell (trimmed), NULL when empty
    performance  REAL,                        -- parsed, NULL when rejected
    perf_raw     TEXT,                        -- raw cell (trimmed), NULL when empty
    extra        TEXT    NOT NULL DEFAULT '[]', -- JSON [[header, value], ...]
    PRIMARY KEY (dataset_id, row_number)
);

CREATE TABLE row_problems (
    dataset_id  INTEGER NOT NULL,
    row_number  INTEGER NOT NULL,
    field       TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    FOREIGN KEY (dataset_id, row_number) REFERENCES rows(dataset_id, row_number) ON DELETE CASCADE
);
CREATE INDEX row_problems_by_row ON row_problems(dataset_id, row_number);

CREATE TABLE runs (
    id              INTEGER PRIMARY KEY,
    dataset_id      INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    status          TEXT    NOT NULL CHECK (status IN
                      ('queued', 'running', 'cancelled', 'succeeded', 'failed', 'interrupted')),
    stage           TEXT,
    done            INTEGER NOT NULL DEFAULT 0,
    total           INTEGER NOT NULL DEFAULT 0,
    created_at_ms   INTEGER NOT NULL,
    started_at_ms   INTEGER,
    finished_at_ms  INTEGER,
    error           TEXT
);
CREATE INDEX runs_by_dataset ON runs(dataset_id);

CREATE TABLE run_events (
    id      INTEGER PRIMARY KEY,
    run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    at_ms   INTEGER NOT NULL,
    message TEXT    NOT NULL
);
CREATE INDEX run_events_by_run ON run_events(run_id);

-- Stages a run has finished: a resumed run skips them.
CREATE TABLE run_stages (
    run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    stage           TEXT    NOT NULL,
    finished_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (run_id, stage)
);

-- One line per accepted input row per run: what happened to that ad in this run.
CREATE TABLE run_rows (
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    row_number  INTEGER NOT NULL,
    status      TEXT    NOT NULL,
    PRIMARY KEY (run_id, row_number)
);
"#;

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        assert!(super::migrations().validate().is_ok());
    }
}
