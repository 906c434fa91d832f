//! Schema versions. Append a migration; never edit one that has shipped.

use rusqlite_migration::{M, Migrations};

pub(super) fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(V1_DATASETS_ROWS_RUNS),
        M::up(V2_VIDEOS_FACES_RESULTS),
        M::up(V3_FINGERPRINTS_HOOKS),
        M::up(V4_STILLS),
        M::up(V5_FACE_TRACKS_CREATORS),
        M::up(V6_CLIP),
        M::up(V7_STILL_CREATORS),
        M::up(V8_AD_DETAILS),
        M::up(V9_CORRECTIONS),
        M::up(V10_FETCHED_BY_RUN),
        M::up(V11_KEYPOINTS_FRAMES),
    ])
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

const V2_VIDEOS_FACES_RESULTS: &str = r#"
-- The content-addressed video cache, and which URL gave which video.
CREATE TABLE videos (
    sha256         TEXT    PRIMARY KEY,
    size_bytes     INTEGER NOT NULL,
    container      TEXT    NOT NULL,
    first_seen_ms  INTEGER NOT NULL
);
CREATE TABLE url_fetches (
    url            TEXT    PRIMARY KEY,
    sha256         TEXT    NOT NULL REFERENCES videos(sha256),
    fetched_at_ms  INTEGER NOT NULL
);

-- What decoding a video taught us, per set of analysis settings (so other settings re-analyse).
CREATE TABLE video_analyses (
    sha256          TEXT    NOT NULL REFERENCES videos(sha256),
    settings_key    TEXT    NOT NULL,
    info            TEXT,             -- JSON frames::VideoInfo, NULL when decoding failed
    faces           TEXT,             -- JSON faces::FaceSummary
    face_file       TEXT,             -- best face crop in <data dir>/faces/, NULL: none found
    face_score      REAL,
    face_time_s     REAL,
    error           TEXT,
    analysed_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (sha256, settings_key)
);

-- The settings a run was started with (JSON), kept so a resumed run uses the same.
ALTER TABLE runs ADD COLUMN settings TEXT;

-- Per row of a run: how its video was obtained.
ALTER TABLE run_rows ADD COLUMN detail TEXT;
ALTER TABLE run_rows ADD COLUMN video_sha256 TEXT;

-- A run's grouping.
CREATE TABLE run_videos (
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    video_id    INTEGER NOT NULL,
    sha256      TEXT    NOT NULL,
    creator_id  INTEGER,
    PRIMARY KEY (run_id, sha256)
);
CREATE INDEX run_videos_by_video ON run_videos(run_id, video_id);
CREATE TABLE run_creators (
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    creator_id  INTEGER NOT NULL,
    label       TEXT    NOT NULL,
    face_file   TEXT    NOT NULL,
    PRIMARY KEY (run_id, creator_id)
);

-- A run's statistics; group_id 0 at level 'creator' is "no creator on camera".
CREATE TABLE run_stats (
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    level      TEXT    NOT NULL CHECK (level IN ('video', 'creator')),
    group_id   INTEGER NOT NULL,
    ads        INTEGER NOT NULL,
    mean       REAL    NOT NULL,
    median     REAL    NOT NULL,
    std_dev    REAL,
    best_row   INTEGER NOT NULL,
    best       REAL    NOT NULL,
    worst_row  INTEGER NOT NULL,
    worst      REAL    NOT NULL,
    PRIMARY KEY (run_id, level, group_id)
);
"#;

const V3_FINGERPRINTS_HOOKS: &str = r#"
-- Per sampled frame: JSON [{time_ds, phash, colour}], for near-duplicate grouping.
ALTER TABLE video_analyses ADD COLUMN fingerprints TEXT NOT NULL DEFAULT '[]';
-- Unique videos sharing a body behind different hooks share a family.
ALTER TABLE run_videos ADD COLUMN hook_family INTEGER NOT NULL DEFAULT 0;
"#;

const V4_STILLS: &str = r#"
-- A strip of stills of the video, in <data dir>/stills/.
ALTER TABLE video_analyses ADD COLUMN stills_file TEXT;
"#;

const V5_FACE_TRACKS_CREATORS: &str = r#"
-- Per analysed video: JSON [faces::FaceTrack], the people seen, most present first.
ALTER TABLE video_analyses ADD COLUMN face_tracks TEXT NOT NULL DEFAULT '[]';
-- Per creator: JSON [creators::TrackRef] of its face tracks, JSON [video id] of videos where
-- the creator appears beside someone more present, and whether the user hid it.
ALTER TABLE run_creators ADD COLUMN members TEXT NOT NULL DEFAULT '[]';
ALTER TABLE run_creators ADD COLUMN appears_in TEXT NOT NULL DEFAULT '[]';
ALTER TABLE run_creators ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
-- 95 % confidence interval of the mean (Student's t), NULL for a single ad.
ALTER TABLE run_stats ADD COLUMN ci_low REAL;
ALTER TABLE run_stats ADD COLUMN ci_high REAL;
"#;

const V6_CLIP: &str = r#"
-- Per analysed video: JSON [f32], its CLIP embedding; NULL when CLIP was off.
ALTER TABLE video_analyses ADD COLUMN clip_embedding TEXT;
-- Per unique video: JSON [[video id, cosine]] of its most alike videos by CLIP; NULL when off.
ALTER TABLE run_videos ADD COLUMN similar TEXT;
"#;

const V7_STILL_CREATORS: &str = r#"
-- Per creator: 1 when its face never changed while filmed (a print, most likely).
ALTER TABLE run_creators ADD COLUMN still INTEGER NOT NULL DEFAULT 0;
"#;

const V8_AD_DETAILS: &str = r#"
-- Per dataset: JSON ingest::ColumnMapping, every field's column (optional ones included).
ALTER TABLE datasets ADD COLUMN mapping TEXT;
-- Per accepted row: JSON ingest::AdDetails (spend, impressions, date, campaign, ad name, handle).
ALTER TABLE rows ADD COLUMN details TEXT NOT NULL DEFAULT '{}';
-- Spend of a group's ads (NULL when the file has no spend) and their spend-weighted mean.
ALTER TABLE run_stats ADD COLUMN spend REAL;
ALTER TABLE run_stats ADD COLUMN spend_weighted_mean REAL;
"#;

const V9_CORRECTIONS: &str = r#"
-- The user's corrections to the creators, as rules about face tracks (JSON
-- [corrections::Rule]); they apply to every run holding those tracks. An undone edit stays,
-- marked, so it can be redone and the log keeps it. `run_id` is where it was made.
CREATE TABLE edits (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    made_at_ms  INTEGER NOT NULL,
    actor       TEXT,
    summary     TEXT    NOT NULL,
    rules       TEXT    NOT NULL,
    undone      INTEGER NOT NULL DEFAULT 0
);
-- The audit log: each edit made, undone or redone, from which run, when, by whom if known.
CREATE TABLE edit_log (
    id          INTEGER PRIMARY KEY,
    edit_id     INTEGER NOT NULL REFERENCES edits(id) ON DELETE CASCADE,
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    at_ms       INTEGER NOT NULL,
    action      TEXT    NOT NULL CHECK (action IN ('made', 'undone', 'redone')),
    actor       TEXT
);
CREATE INDEX edit_log_by_edit ON edit_log(edit_id);
-- Bumped whenever the run's creators change by an edit: two tabs' writes are checked against it.
ALTER TABLE runs ADD COLUMN edit_version INTEGER NOT NULL DEFAULT 0;
-- The newest edit_log id when the run was last grouped: a run that was still going when an edit
-- was made is grouped again as it ends.
ALTER TABLE runs ADD COLUMN grouped_at_edit INTEGER NOT NULL DEFAULT 0;
-- JSON grouping::CorrectionsApplied: edits that do not fully hold in the run, faces left out.
ALTER TABLE runs ADD COLUMN corrections TEXT NOT NULL DEFAULT '{}';
ALTER TABLE run_creators ADD COLUMN hidden_reason TEXT;
ALTER TABLE run_creators ADD COLUMN named INTEGER NOT NULL DEFAULT 0;
-- JSON creators::TrackRef of the face shown, NULL when none.
ALTER TABLE run_creators ADD COLUMN face_track TEXT;
"#;

const V10_FETCHED_BY_RUN: &str = r#"
-- The run whose fetch stage downloaded the URL (NULL: before this column, or a run since
-- deleted). A run resumed after a crash reports its own earlier downloads as `downloaded`, like
-- an uninterrupted run, and only other runs' as `cached`.
ALTER TABLE url_fetches ADD COLUMN fetched_by_run INTEGER REFERENCES runs(id) ON DELETE SET NULL;
"#;

const V11_KEYPOINTS_FRAMES: &str = r#"
-- Per analysed video: every sampled frame's ORB keypoints inside its picture
-- (keypoints::encode), for recognising re-framed copies; and a sheet of every sampled frame
-- side by side in <data dir>/stills/ (the evidence the Videos page shows for a join).
ALTER TABLE video_analyses ADD COLUMN keypoints BLOB;
ALTER TABLE video_analyses ADD COLUMN frames_file TEXT;
-- Per creator: how alike its faces are (mean descriptor distance to their centre), each
-- member's distance (JSON [f32], in members order), and the faces in its videos left out.
ALTER TABLE run_creators ADD COLUMN cohesion REAL NOT NULL DEFAULT 0;
ALTER TABLE run_creators ADD COLUMN member_distances TEXT NOT NULL DEFAULT '[]';
ALTER TABLE run_creators ADD COLUMN left_out INTEGER NOT NULL DEFAULT 0;
-- Per run: JSON [grouping::FaceVerdict], the face tracks not clustered as people, and JSON
-- [grouping::SamePersonQuestion], the creator pairs to ask about.
ALTER TABLE runs ADD COLUMN faces TEXT NOT NULL DEFAULT '[]';
ALTER TABLE runs ADD COLUMN questions TEXT NOT NULL DEFAULT '[]';
-- Per file of a unique video: JSON [grouping::FileLink], how it was found to be the same video as
-- (or to share a body with) other files, with the matched frames.
ALTER TABLE run_videos ADD COLUMN links TEXT NOT NULL DEFAULT '[]';
"#;

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        assert!(super::migrations().validate().is_ok());
    }
}
