"""Schema migrations, applied in order; the database's PRAGMA user_version counts the ones applied."""

# Never edit a migration that has shipped: add a new one at the end.
MIGRATIONS: list[str] = [
    # 1: partners and the dialog state store
    """
    CREATE TABLE partners (
        user_id      INTEGER PRIMARY KEY,
        first_name   TEXT NOT NULL DEFAULT '',
        username     TEXT,
        name         TEXT,
        company      TEXT,
        phone        TEXT,
        banned       INTEGER NOT NULL DEFAULT 0,
        ban_reason   TEXT,
        ban_notified INTEGER NOT NULL DEFAULT 0,
        blocked_bot  INTEGER NOT NULL DEFAULT 0,
        created_at   TEXT NOT NULL,
        last_seen_at TEXT NOT NULL
    );
    CREATE TABLE fsm (
        key        TEXT PRIMARY KEY,
        state      TEXT,
        data       TEXT NOT NULL DEFAULT '{}',
        updated_at TEXT NOT NULL
    );
    """,
    # 2: cases, their attachments and history, the outbox, and links between relayed messages
    """
    CREATE TABLE cases (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        submit_key      TEXT NOT NULL UNIQUE,
        partner_id      INTEGER NOT NULL REFERENCES partners(user_id),
        request_type    TEXT NOT NULL,
        brand           TEXT NOT NULL,
        model           TEXT NOT NULL,
        model_matched   INTEGER NOT NULL DEFAULT 0,
        model_folders   TEXT NOT NULL DEFAULT '[]',
        serial          TEXT,
        description     TEXT NOT NULL,
        web_access      INTEGER,
        contact_name    TEXT NOT NULL,
        contact_company TEXT,
        contact_phone   TEXT NOT NULL,
        status          TEXT NOT NULL DEFAULT 'new',
        level           INTEGER NOT NULL,
        after_hours     INTEGER NOT NULL DEFAULT 0,
        created_at      TEXT NOT NULL,
        due_at          TEXT,
        claimed_by      INTEGER,
        claimed_by_name TEXT,
        claimed_at      TEXT,
        resolved_at     TEXT,
        closed_at       TEXT,
        thread_id       INTEGER,
        card_message_id INTEGER,
        delivered_at    TEXT
    );
    -- Case numbers start at 1001: partners read them out on the phone, four digits are easier.
    INSERT INTO sqlite_sequence (name, seq) VALUES ('cases', 1000);
    CREATE INDEX cases_partner ON cases (partner_id, status);
    CREATE INDEX cases_status ON cases (status, created_at);
    CREATE INDEX cases_thread ON cases (thread_id);

    CREATE TABLE attachments (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        case_id           INTEGER NOT NULL REFERENCES cases(id),
        position          INTEGER NOT NULL,
        kind              TEXT NOT NULL,
        file_id           TEXT NOT NULL,
        file_unique_id    TEXT NOT NULL,
        file_name         TEXT,
        caption           TEXT,
        media_group_id    TEXT,
        UNIQUE (case_id, file_unique_id)
    );

    CREATE TABLE case_history (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        case_id     INTEGER NOT NULL REFERENCES cases(id),
        at          TEXT NOT NULL,
        actor_id    INTEGER,
        actor_name  TEXT,
        from_status TEXT,
        to_status   TEXT NOT NULL,
        comment     TEXT
    );
    CREATE INDEX case_history_case ON case_history (case_id, id);

    CREATE TABLE outbox (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id     INTEGER NOT NULL,
        case_id     INTEGER REFERENCES cases(id),
        kind        TEXT NOT NULL,
        payload     TEXT NOT NULL,
        state       TEXT NOT NULL DEFAULT 'pending',
        attempts    INTEGER NOT NULL DEFAULT 0,
        created_at  TEXT NOT NULL,
        done_at     TEXT,
        result      TEXT,
        error       TEXT
    );
    CREATE INDEX outbox_pending ON outbox (state, chat_id, id);

    CREATE TABLE message_links (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        case_id            INTEGER REFERENCES cases(id),
        origin             TEXT NOT NULL,
        source_chat_id     INTEGER NOT NULL,
        source_message_id  INTEGER NOT NULL,
        target_chat_id     INTEGER NOT NULL,
        target_message_id  INTEGER NOT NULL,
        kind               TEXT NOT NULL DEFAULT 'text'
    );
    CREATE INDEX message_links_source ON message_links (source_chat_id, source_message_id);
    CREATE INDEX message_links_target ON message_links (target_chat_id, target_message_id);
    """,
    # 3: reminders about unclaimed cases nearing or past their reaction time
    """
    ALTER TABLE cases ADD COLUMN reminded_warn INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE cases ADD COLUMN reminded_breach INTEGER NOT NULL DEFAULT 0;
    """,
    # 4: the case lifecycle: waiting for the partner pauses reaction time, ratings, and a small
    # key-value table for things such as the shared "Wishes" topic
    """
    ALTER TABLE cases ADD COLUMN waiting_since TEXT;
    ALTER TABLE cases ADD COLUMN rating INTEGER;
    ALTER TABLE cases ADD COLUMN rating_comment TEXT;
    CREATE TABLE kv (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 5: engineers seen in the group (Telegram cannot list a group's members to a bot)
    """
    CREATE TABLE engineers (
        user_id      INTEGER PRIMARY KEY,
        first_name   TEXT NOT NULL DEFAULT '',
        username     TEXT,
        last_seen_at TEXT NOT NULL
    );
    CREATE INDEX outbox_case ON outbox (case_id);
    """,
    # 6: the inbox of fetched updates (confirmed to Telegram at once, handled from here), and
    # keys that make a relay idempotent when an update is handled a second time after a crash
    """
    CREATE TABLE inbox (
        update_id   INTEGER PRIMARY KEY,
        payload     TEXT NOT NULL,
        received_at TEXT NOT NULL
    );
    ALTER TABLE outbox ADD COLUMN dedupe_key TEXT;
    CREATE UNIQUE INDEX outbox_dedupe ON outbox (dedupe_key) WHERE dedupe_key IS NOT NULL;
    """,
    # 7: handled updates stay in the inbox for as long as Telegram might send them again, so an
    # update fetched a second time after a crash is recognised and not handled twice
    """
    ALTER TABLE inbox ADD COLUMN handled_at TEXT;
    CREATE INDEX inbox_handled ON inbox (handled_at) WHERE handled_at IS NOT NULL;
    """,
    # (i13-outbox) delivery order per case topic and per partner chat instead of per chat, and
    # per-chat holds that outlive a restart: Telegram's retry_after, an engineers' group the
    # operator must fix, a partner who blocked the bot
    """
    ALTER TABLE outbox ADD COLUMN lane TEXT;
    UPDATE outbox SET lane = CASE WHEN chat_id < 0 AND case_id IS NOT NULL
        THEN chat_id || ':' || case_id ELSE CAST(chat_id AS TEXT) END;
    CREATE INDEX outbox_lane ON outbox (state, lane, id);
    CREATE TABLE outbox_holds (
        chat_id    INTEGER PRIMARY KEY,
        kind       TEXT NOT NULL,
        not_before REAL,
        failures   INTEGER NOT NULL DEFAULT 0,
        reason     TEXT,
        told       INTEGER NOT NULL DEFAULT 0
    );
    """,
    # (i19-knowledge) the knowledge index: resolved cases, bulletins and imported HelpDesk history.
    # `knowledge` keeps what is shown and the model and series keys; `knowledge_fts` holds the stemmed
    # words (bot/services/knowledge.py stems them in Python, so FTS5 only splits them), ranked by bm25.
    """
    CREATE TABLE knowledge (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        kind       TEXT NOT NULL,
        ref        TEXT NOT NULL,
        title      TEXT NOT NULL,
        body       TEXT NOT NULL,
        answer     TEXT NOT NULL DEFAULT '',
        model      TEXT NOT NULL DEFAULT '',
        model_key  TEXT NOT NULL DEFAULT '',
        series     TEXT NOT NULL DEFAULT '',
        thread_id  INTEGER,
        created_at TEXT,
        stamp      TEXT,
        UNIQUE (kind, ref)
    );
    CREATE VIRTUAL TABLE knowledge_fts USING fts5(terms, tokenize = 'unicode61 remove_diacritics 0');
    CREATE VIRTUAL TABLE knowledge_vocab USING fts5vocab(knowledge_fts, 'row');
    """,
    # (i20-mail) the HelpDesk bridge: mails to the HelpDesk, queued in the transaction of the case
    # change they announce; the files of the HelpDesk's replies until they are relayed; and how far
    # the bridge has read each mailbox folder (IMAP UIDVALIDITY and UID)
    """
    CREATE TABLE mail_outbox (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        case_id     INTEGER NOT NULL REFERENCES cases(id),
        event       TEXT NOT NULL,
        payload     TEXT NOT NULL,
        state       TEXT NOT NULL DEFAULT 'pending',
        attempts    INTEGER NOT NULL DEFAULT 0,
        created_at  TEXT NOT NULL,
        done_at     TEXT,
        error       TEXT,
        message_id  TEXT,
        dedupe_key  TEXT
    );
    CREATE INDEX mail_outbox_pending ON mail_outbox (state, id);
    CREATE UNIQUE INDEX mail_outbox_dedupe ON mail_outbox (dedupe_key) WHERE dedupe_key IS NOT NULL;
    CREATE TABLE mail_files (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        case_id   INTEGER REFERENCES cases(id),
        file_name TEXT NOT NULL,
        mime_type TEXT NOT NULL,
        data      BLOB NOT NULL
    );
    CREATE TABLE mail_folders (
        folder      TEXT PRIMARY KEY,
        uidvalidity INTEGER NOT NULL,
        last_uid    INTEGER NOT NULL
    );
    """,
    # (i19-knowledge) questions a bulletin answered: the partner pressed «Помогло» and filed no case.
    # One row per draft (`submit_key`), so a press handled twice counts once; statistics count them.
    """
    CREATE TABLE bulletin_answers (
        submit_key   TEXT PRIMARY KEY,
        partner_id   INTEGER NOT NULL,
        request_type TEXT NOT NULL,
        bulletins    TEXT NOT NULL,
        answered_at  TEXT NOT NULL
    );
    CREATE INDEX bulletin_answers_at ON bulletin_answers (answered_at);
    """,
    # (i19-knowledge) the solved cases like a new one, found after its card was queued and shown on the
    # card from then on (a JSON list: kind, id, title, model, thread_id, score)
    """
    CREATE TABLE case_similar (
        case_id INTEGER PRIMARY KEY,
        items   TEXT NOT NULL
    );
    """,
]
