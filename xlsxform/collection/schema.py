"""The collection database's schema: the tables of each version, and the
migration from one to the next (see :mod:`xlsxform.collection.database`)."""

from __future__ import annotations

SCHEMA_VERSION = 2
APPLICATION_ID = 0x78666D31
"""'xfm1' in the header of every database xlsxform creates."""
SQLITE_MAGIC = b"SQLite format 3\x00"

_SCHEMA = """
CREATE TABLE inputs (
    sha256      TEXT PRIMARY KEY,
    file_name   TEXT NOT NULL,
    source      TEXT NOT NULL,
    origin      TEXT NOT NULL,
    size        INTEGER NOT NULL,
    sender      TEXT,
    date        TEXT,
    subject     TEXT,
    message_id  TEXT,
    ingested_at TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('stored', 'refused', 'opened')),
    refusal     TEXT,
    reason      TEXT,
    reason_en   TEXT
);
CREATE TABLE contents (
    sha256 TEXT PRIMARY KEY REFERENCES inputs(sha256),
    data   BLOB NOT NULL
);
CREATE TABLE forms (
    id               INTEGER PRIMARY KEY,
    sha256           TEXT NOT NULL UNIQUE REFERENCES inputs(sha256),
    department       TEXT NOT NULL,
    department_key   TEXT NOT NULL,
    code             TEXT,
    year             INTEGER,
    form_id          TEXT,
    template_id      TEXT,
    template_version TEXT,
    data             TEXT NOT NULL,
    errors           INTEGER NOT NULL,
    warnings         INTEGER NOT NULL,
    superseded_by    INTEGER REFERENCES forms(id),
    received_at      TEXT NOT NULL,
    current          INTEGER NOT NULL DEFAULT 0,
    receipt          INTEGER,
    scope            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX forms_current ON forms(department_key, year, superseded_by);
CREATE TABLE problems (
    form       INTEGER NOT NULL REFERENCES forms(id),
    seq        INTEGER NOT NULL,
    severity   TEXT NOT NULL,
    code       TEXT NOT NULL,
    cell       TEXT,
    field      TEXT,
    value      TEXT,
    params     TEXT NOT NULL,
    message    TEXT NOT NULL,
    message_en TEXT NOT NULL,
    PRIMARY KEY (form, seq)
);
"""

_SCHEMA_2 = """
CREATE TABLE receipts (
    id             INTEGER PRIMARY KEY,
    key            TEXT NOT NULL UNIQUE,
    parent         INTEGER REFERENCES receipts(id),
    batch          TEXT NOT NULL,
    kind           TEXT NOT NULL,
    name           TEXT NOT NULL,
    origin         TEXT NOT NULL,
    source         TEXT NOT NULL,
    sender         TEXT,
    date           TEXT,
    subject        TEXT,
    message_id     TEXT,
    sent_at        TEXT NOT NULL,
    sha256         TEXT,
    size           INTEGER NOT NULL,
    department     TEXT,
    department_key TEXT,
    year           INTEGER,
    template_id    TEXT,
    form           INTEGER REFERENCES forms(id),
    outcome        TEXT NOT NULL CHECK (outcome IN ('stored', 'duplicate', 'refused', 'held', 'opened')),
    refusal        TEXT,
    reason         TEXT,
    reason_en      TEXT
);
CREATE INDEX receipts_group ON receipts(department_key, year, template_id);
CREATE INDEX receipts_sha ON receipts(sha256);
CREATE TABLE accepts (
    id      INTEGER PRIMARY KEY,
    receipt INTEGER NOT NULL REFERENCES receipts(id),
    at      TEXT NOT NULL
);
CREATE TABLE own_files (
    sha256     TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    path       TEXT NOT NULL,
    written_at TEXT NOT NULL
);
"""

_MIGRATE_1_TO_2 = """
CREATE TABLE inputs_2 (
    sha256 TEXT PRIMARY KEY, file_name TEXT NOT NULL, source TEXT NOT NULL, origin TEXT NOT NULL, size INTEGER NOT NULL,
    sender TEXT, date TEXT, subject TEXT, message_id TEXT, ingested_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('stored', 'refused', 'opened')), refusal TEXT, reason TEXT, reason_en TEXT
);
INSERT INTO inputs_2 SELECT * FROM inputs;
DROP TABLE inputs;
ALTER TABLE inputs_2 RENAME TO inputs;
ALTER TABLE forms ADD COLUMN current INTEGER NOT NULL DEFAULT 0;
ALTER TABLE forms ADD COLUMN receipt INTEGER;
UPDATE forms SET current = (superseded_by IS NULL);
ALTER TABLE forms ADD COLUMN scope TEXT NOT NULL DEFAULT '';
"""
