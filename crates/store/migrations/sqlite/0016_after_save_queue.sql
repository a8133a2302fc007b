-- Cases whose after-save steps (rule hits, the incremental duplicate check) failed even
-- after retries: the background worker runs them again until they succeed, so no proposed
-- pair or rule hit is lost silently.
CREATE TABLE after_save_queue (
    case_id    INTEGER PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
    attempts   INTEGER NOT NULL,
    queued_at  INTEGER NOT NULL,
    last_try_at INTEGER NOT NULL
);
