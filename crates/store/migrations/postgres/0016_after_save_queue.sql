-- Cases whose after-save steps (rule hits, the incremental duplicate check) failed even
-- after retries: the background worker runs them again until they succeed, so no proposed
-- pair or rule hit is lost silently.
CREATE TABLE after_save_queue (
    case_id     BIGINT PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
    attempts    BIGINT NOT NULL,
    queued_at   BIGINT NOT NULL,
    last_try_at BIGINT NOT NULL
);
