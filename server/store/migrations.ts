/** Schema migrations, applied in order by PRAGMA user_version. Append; never edit a released one. */
export const MIGRATIONS: string[] = [
  `
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    library TEXT NOT NULL,
    candidate TEXT NOT NULL,
    baseline TEXT NOT NULL,
    candidate_version TEXT NOT NULL,
    baseline_version TEXT NOT NULL,
    candidate_sha TEXT NOT NULL,
    baseline_sha TEXT NOT NULL,
    status TEXT NOT NULL,
    verdict TEXT NOT NULL,
    trigger TEXT NOT NULL,
    reruns INTEGER NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    finished_at TEXT
  );
  CREATE INDEX runs_by_library ON runs (library, candidate_version, created_at);
  CREATE TABLE cells (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    consumer TEXT NOT NULL,
    backend TEXT NOT NULL,
    verdict TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    new_failures TEXT NOT NULL,
    fixed_tests TEXT NOT NULL,
    config TEXT NOT NULL,
    PRIMARY KEY (run_id, id)
  );
  CREATE TABLE side_results (
    run_id TEXT NOT NULL,
    cell_id TEXT NOT NULL,
    side TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    status TEXT NOT NULL,
    duration_ms INTEGER,
    overhead_ms INTEGER,
    passed INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    exit_code INTEGER,
    worker TEXT,
    started_at TEXT,
    finished_at TEXT,
    PRIMARY KEY (run_id, cell_id, side, attempt),
    FOREIGN KEY (run_id, cell_id) REFERENCES cells (run_id, id) ON DELETE CASCADE
  );
  CREATE TABLE test_outcomes (
    run_id TEXT NOT NULL,
    cell_id TEXT NOT NULL,
    side TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    test_id TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT,
    duration_ms REAL,
    PRIMARY KEY (run_id, cell_id, side, attempt, test_id)
  );
  CREATE TABLE builds (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    side TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    artifact_key TEXT,
    duration_ms INTEGER,
    PRIMARY KEY (run_id, side)
  );
  CREATE TABLE deliveries (
    delivery_id TEXT PRIMARY KEY,
    run_id TEXT,
    received_at TEXT NOT NULL
  );
  CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
  );
  `,
  // 2: webhook deliveries remember what they led to (a run or a reason to ignore), and commit statuses
  // wait in an outbox until the forge has them, so neither a redelivery nor a restart loses or repeats one.
  `
  ALTER TABLE deliveries ADD COLUMN source TEXT;
  ALTER TABLE deliveries ADD COLUMN outcome TEXT;
  ALTER TABLE deliveries ADD COLUMN reason TEXT;
  ALTER TABLE deliveries ADD COLUMN library TEXT;
  ALTER TABLE deliveries ADD COLUMN tag TEXT;
  CREATE TABLE status_reports (
    run_id TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    forge TEXT NOT NULL,
    wanted TEXT NOT NULL,
    sent TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    gave_up INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX status_reports_due ON status_reports (gave_up, next_attempt_at);
  `,
  // 3: token scopes. A read token may only read (for deployments with COMPAT_READ_TOKEN_REQUIRED=1);
  // tokens made before scopes existed keep writing.
  `
  ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'write';
  `,
  // 4: a cell's verdict may carry a reason (a failing cell whose baseline passed no test).
  `
  ALTER TABLE cells ADD COLUMN reason TEXT;
  `,
  // 5: a run's baseline may be a registry's published file rather than a tag.
  `
  ALTER TABLE runs ADD COLUMN baseline_source TEXT NOT NULL DEFAULT 'tag';
  `,
  // 6: bisects of confirmed regressions (one per run and consumer), their steps, and the artifacts of
  // the commits they built (one per run and commit, shared by the consumers' bisects).
  `
  CREATE TABLE IF NOT EXISTS bisects (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    consumer TEXT NOT NULL,
    cell_id TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    first_bad TEXT,
    candidates TEXT,
    commits TEXT NOT NULL,
    new_failures TEXT NOT NULL,
    cap INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    PRIMARY KEY (run_id, consumer)
  );
  CREATE TABLE IF NOT EXISTS bisect_steps (
    run_id TEXT NOT NULL,
    consumer TEXT NOT NULL,
    seq INTEGER NOT NULL,
    sha TEXT NOT NULL,
    purpose TEXT NOT NULL,
    outcome TEXT,
    detail TEXT,
    duration_ms INTEGER,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    PRIMARY KEY (run_id, consumer, seq),
    FOREIGN KEY (run_id, consumer) REFERENCES bisects (run_id, consumer) ON DELETE CASCADE
  );
  CREATE TABLE IF NOT EXISTS bisect_builds (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    sha TEXT NOT NULL,
    status TEXT NOT NULL,
    artifact_key TEXT,
    reason TEXT,
    infra INTEGER NOT NULL DEFAULT 0,
    duration_ms INTEGER,
    PRIMARY KEY (run_id, sha)
  );
  `,
  // 7: a run's cell outcomes by index seeks (verdicts present, cells with a reason): the run's state is
  // decided after every decided cell, and a run may have 10,000.
  `
  CREATE INDEX IF NOT EXISTS cells_by_verdict ON cells (run_id, verdict);
  CREATE INDEX IF NOT EXISTS cells_with_reason ON cells (run_id, reason);
  `,
  // 8: where a side's time went (phases), what it ran with (facts: consumer commit, image ids, artifact
  // digest) and the key a later run's baseline may reuse it by; a reused side names the run it came from.
  `
  ALTER TABLE side_results ADD COLUMN phases TEXT;
  ALTER TABLE side_results ADD COLUMN facts TEXT;
  ALTER TABLE side_results ADD COLUMN reuse_key TEXT;
  ALTER TABLE side_results ADD COLUMN reused_from TEXT;
  CREATE INDEX side_results_by_reuse_key ON side_results (reuse_key, finished_at);
  ALTER TABLE builds ADD COLUMN artifact_digest TEXT;
  `,
  // 9: what a side's JUnit reported past the side's allowance (tests, failed, chars), as JSON.
  `
  ALTER TABLE side_results ADD COLUMN dropped TEXT;
  `,
  // 10: a bisect per test (issue 23): what each step said of each new failure, and the first bad commit
  // of each group of them. Older steps have none: they count for every test as the step did.
  `
  ALTER TABLE bisect_steps ADD COLUMN tests TEXT;
  ALTER TABLE bisects ADD COLUMN culprits TEXT;
  `,
  // 11: the cause of each failed test of a candidate's first attempt (common/clusters), worked out when
  // the result arrives: a run's clusters then read a few short columns, not every message and trace.
  `
  CREATE TABLE failure_causes (
    run_id TEXT NOT NULL,
    cell_id TEXT NOT NULL,
    test_id TEXT NOT NULL,
    line TEXT NOT NULL,
    pattern TEXT NOT NULL,
    frame TEXT,
    PRIMARY KEY (run_id, cell_id, test_id)
  );
  `,
  // 12: quarantined tests (server/quarantine), by the API or matrix.yaml (source), and per cell the
  // quarantined tests that failed anew, as JSON (the cell shows them beside its verdict).
  `
  CREATE TABLE quarantines (
    library TEXT NOT NULL,
    consumer TEXT NOT NULL,
    test_id TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    until TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (library, consumer, test_id, source)
  );
  ALTER TABLE cells ADD COLUMN quarantined TEXT;
  `,
  // 13 (issue 19): the schema a side's migrations built ({document, ddl?}) and a cell's schema diff, as JSON.
  `
  ALTER TABLE side_results ADD COLUMN schema TEXT;
  ALTER TABLE cells ADD COLUMN schema_changes TEXT;
  `,
];
