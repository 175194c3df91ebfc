"""Search: full-text documents, spelling vocabulary, prefix suggestions, and their triggers.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 20:10:00.000000

Plain SQL and plpgsql only: the embedded PostgreSQL ships no contrib extensions (no pg_trgm,
fuzzystrmatch or unaccent). Text search uses the built-in ``english`` configuration for the
documents (stemming matches "healers" to "healing") and ``simple`` for the vocabulary (spelling
correction compares surface words, not stems). See docs/search.md.

Triggers, and why they are shaped this way:
- ``practitioners`` BEFORE INSERT / UPDATE OF the searched columns, per row: recompute the row's
  document (which reads its active services).
- ``services`` AFTER INSERT / UPDATE / DELETE, per statement with transition tables: recompute the
  documents of the practitioners whose services changed, once per practitioner, so a COPY of
  300,000 services is one UPDATE rather than 300,000.
- A bulk load sets ``klearkarma.search_bulk = on`` for its transaction: the triggers step aside
  and ``search_reindex(ids)`` indexes the loaded rows once at the end (``search.bulk``).
- ``practitioners`` AFTER INSERT / UPDATE, per statement: add the words, cities and service names
  of rows that are public (and changed in a way search cares about) to the vocabulary and the
  suggestion index. Frequencies and pruning are exact after ``search_refresh()``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PUBLIC = "p.verification_status = 'verified' AND p.is_active"

SERVICE_DOCUMENT = (
    "setweight(to_tsvector('english'::regconfig, name), 'A') || "
    "setweight(to_tsvector('english'::regconfig, category), 'A') || "
    "setweight(to_tsvector('english'::regconfig, description), 'C')"
)

FUNCTIONS = """
CREATE FUNCTION search_service_text(p_id uuid) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(string_agg(concat_ws(' ', s.name, s.category, s.description), ' '), '')
    FROM services AS s
    WHERE s.practitioner_id = p_id AND s.is_active
$$;

CREATE FUNCTION search_modality_names(p_slugs text[]) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(string_agg(m.name, ' '), '') FROM modalities AS m WHERE m.slug = ANY (p_slugs)
$$;

CREATE FUNCTION search_certification_text(p_certifications jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(string_agg(concat_ws(' ', c ->> 'name', c ->> 'issuer'), ' '), '')
    FROM jsonb_array_elements(
        CASE WHEN jsonb_typeof(p_certifications) = 'array' THEN p_certifications ELSE '[]' END
    ) AS c
$$;

-- Weights: what a practitioner does (specializations, services) A; who and where (name, city)
-- B; how they present themselves (headline, certifications) C; the free-text bio D.
CREATE FUNCTION search_document(p practitioners) RETURNS tsvector
LANGUAGE sql STABLE AS $$
    SELECT
        setweight(to_tsvector('english', concat_ws(' ',
            array_to_string(p.specializations, ' '),
            search_modality_names(p.specializations),
            search_service_text(p.id))), 'A')
        || setweight(to_tsvector('english', concat_ws(' ', p.display_name, p.city)), 'B')
        || setweight(to_tsvector('english', concat_ws(' ',
            p.headline, search_certification_text(p.certifications))), 'C')
        || setweight(to_tsvector('english', coalesce(p.bio, '')), 'D')
$$;

-- The surface words of a document (no stemming), for the spelling vocabulary.
CREATE FUNCTION search_words(p practitioners) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT array_agg(w) FROM unnest(tsvector_to_array(to_tsvector('simple', concat_ws(' ',
        array_to_string(p.specializations, ' '),
        search_modality_names(p.specializations),
        search_service_text(p.id),
        p.display_name, p.city, p.headline,
        search_certification_text(p.certifications),
        p.bio)))) AS w
    WHERE w ~ '^[[:alpha:]]{3,30}$'
$$;

CREATE FUNCTION search_practitioner_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('klearkarma.search_bulk', true) = 'on' THEN
        RETURN NEW;  -- a bulk load indexes its rows once at the end (search_reindex)
    END IF;
    NEW.search_vector := search_document(NEW);
    RETURN NEW;
END
$$;

CREATE FUNCTION search_services_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('klearkarma.search_bulk', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        UPDATE practitioners AS p SET search_vector = search_document(p)
        WHERE p.id IN (SELECT DISTINCT practitioner_id FROM new_services);
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE practitioners AS p SET search_vector = search_document(p)
        WHERE p.id IN (
            SELECT practitioner_id FROM new_services UNION SELECT practitioner_id FROM old_services
        );
    ELSE
        UPDATE practitioners AS p SET search_vector = search_document(p)
        WHERE p.id IN (SELECT DISTINCT practitioner_id FROM old_services);
    END IF;
    RETURN NULL;
END
$$;

-- Add what newly public (or newly reworded) practitioners bring to the vocabulary and the
-- suggestions. Only additions: counts and removals are search_refresh()'s job, so a busy table
-- never pays for exact bookkeeping on every write.
CREATE FUNCTION search_index_practitioners(ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO search_terms (term, frequency)
    SELECT w, count(*)
    FROM practitioners AS p JOIN unnest(ids) AS i(id) ON i.id = p.id, unnest(search_words(p)) AS w
    WHERE {PUBLIC}
    GROUP BY w
    ON CONFLICT (term) DO NOTHING;

    INSERT INTO search_suggestions (kind, key, label, weight)
    SELECT 'city', lower(p.city), min(p.city), count(*)
    FROM practitioners AS p JOIN unnest(ids) AS i(id) ON i.id = p.id
    WHERE {PUBLIC} AND p.city IS NOT NULL AND p.city <> ''
    GROUP BY lower(p.city)
    ON CONFLICT (kind, key) DO NOTHING;

    INSERT INTO search_suggestions (kind, key, label, weight)
    SELECT 'service', lower(s.name), min(s.name), count(*)
    FROM practitioners AS p JOIN unnest(ids) AS i(id) ON i.id = p.id
    JOIN services AS s ON s.practitioner_id = p.id AND s.is_active
    WHERE {PUBLIC}
    GROUP BY lower(s.name)
    ON CONFLICT (kind, key) DO NOTHING;
$$;

CREATE FUNCTION search_practitioners_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ids uuid[];
BEGIN
    IF current_setting('klearkarma.search_bulk', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(id) INTO ids FROM new_rows;
    ELSE
        -- Ratings and session counts change often and matter nothing to the vocabulary.
        SELECT array_agg(n.id) INTO ids
        FROM new_rows AS n JOIN old_rows AS o ON o.id = n.id
        WHERE (n.search_vector, n.verification_status, n.is_active)
            IS DISTINCT FROM (o.search_vector, o.verification_status, o.is_active);
    END IF;
    IF ids IS NOT NULL THEN
        PERFORM search_index_practitioners(ids);
    END IF;
    RETURN NULL;
END
$$;

-- What a bulk load (klearkarma seed) runs once after its COPYs, with the triggers paused by
-- klearkarma.search_bulk: each document computed once instead of once per COPY.
CREATE FUNCTION search_reindex(ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE practitioners AS p SET search_vector = search_document(p)
    FROM unnest(ids) AS i(id) WHERE p.id = i.id;
    SELECT search_index_practitioners(ids);
$$;

-- "Has a free slot between two local dates", cheaply: some day in the window (and within the
-- booking horizon) is opened by the weekly hours or an override, not closed by a day-off
-- override, and not wholly covered by a blocked time. Bookings, notice and daily limits are left
-- to the slot engine behind the profile's availability endpoint; see docs/search.md.
CREATE FUNCTION search_has_hours(p_id uuid, first_day date, last_day date) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1
        FROM availability_schedules AS a,
            LATERAL (SELECT (now() AT TIME ZONE a.timezone)::date AS today) AS t,
            LATERAL generate_series(
                greatest(first_day, t.today)::timestamp,
                least(last_day, t.today + a.max_advance_days)::timestamp,
                interval '1 day'
            ) AS d(day)
        WHERE a.practitioner_id = p_id
            AND NOT EXISTS (
                SELECT 1 FROM jsonb_array_elements(a.overrides) AS o
                WHERE o ->> 'date' = to_char(d.day, 'YYYY-MM-DD')
                    AND jsonb_array_length(coalesce(o -> 'intervals', '[]')) = 0
            )
            AND (
                EXISTS (
                    SELECT 1 FROM jsonb_array_elements(a.weekly_hours) AS h
                    WHERE h ->> 'day' = (ARRAY['monday', 'tuesday', 'wednesday', 'thursday',
                        'friday', 'saturday', 'sunday'])[extract(isodow FROM d.day)::int]
                )
                OR EXISTS (
                    SELECT 1 FROM jsonb_array_elements(a.overrides) AS o
                    WHERE o ->> 'date' = to_char(d.day, 'YYYY-MM-DD')
                        AND jsonb_array_length(coalesce(o -> 'intervals', '[]')) > 0
                )
            )
            AND NOT EXISTS (
                SELECT 1 FROM blocked_times AS b
                WHERE b.practitioner_id = p_id
                    AND b.starts_at <= (d.day AT TIME ZONE a.timezone)
                    AND b.ends_at >= ((d.day + interval '1 day') AT TIME ZONE a.timezone)
            )
    )
$$;

-- Exact frequencies and weights, and nothing left over from hidden or reworded practitioners.
CREATE FUNCTION search_refresh() RETURNS void
LANGUAGE sql AS $$
    DELETE FROM search_terms;
    INSERT INTO search_terms (term, frequency)
    SELECT w, count(*) FROM practitioners AS p, unnest(search_words(p)) AS w
    WHERE {PUBLIC}
    GROUP BY w;

    DELETE FROM search_suggestions;
    INSERT INTO search_suggestions (kind, key, label, weight)
    SELECT 'city', lower(p.city), min(p.city), count(*)
    FROM practitioners AS p
    WHERE {PUBLIC} AND p.city IS NOT NULL AND p.city <> ''
    GROUP BY lower(p.city);
    INSERT INTO search_suggestions (kind, key, label, weight)
    SELECT 'service', lower(s.name), min(s.name), count(*)
    FROM practitioners AS p JOIN services AS s ON s.practitioner_id = p.id AND s.is_active
    WHERE {PUBLIC}
    GROUP BY lower(s.name);
$$;
""".replace("{PUBLIC}", PUBLIC)

TRIGGERS = """
CREATE TRIGGER search_practitioner_row
BEFORE INSERT OR UPDATE OF display_name, headline, bio, specializations, certifications, city
ON practitioners FOR EACH ROW EXECUTE FUNCTION search_practitioner_row();

CREATE TRIGGER search_practitioners_inserted AFTER INSERT ON practitioners
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION search_practitioners_changed();

CREATE TRIGGER search_practitioners_updated AFTER UPDATE ON practitioners
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION search_practitioners_changed();

CREATE TRIGGER search_services_inserted AFTER INSERT ON services
REFERENCING NEW TABLE AS new_services
FOR EACH STATEMENT EXECUTE FUNCTION search_services_changed();

CREATE TRIGGER search_services_updated AFTER UPDATE ON services
REFERENCING OLD TABLE AS old_services NEW TABLE AS new_services
FOR EACH STATEMENT EXECUTE FUNCTION search_services_changed();

CREATE TRIGGER search_services_deleted AFTER DELETE ON services
REFERENCING OLD TABLE AS old_services
FOR EACH STATEMENT EXECUTE FUNCTION search_services_changed();
"""

DROP = """
DROP TRIGGER IF EXISTS search_services_deleted ON services;
DROP TRIGGER IF EXISTS search_services_updated ON services;
DROP TRIGGER IF EXISTS search_services_inserted ON services;
DROP TRIGGER IF EXISTS search_practitioners_updated ON practitioners;
DROP TRIGGER IF EXISTS search_practitioners_inserted ON practitioners;
DROP TRIGGER IF EXISTS search_practitioner_row ON practitioners;
DROP FUNCTION IF EXISTS search_refresh();
DROP FUNCTION IF EXISTS search_reindex(uuid[]);
DROP FUNCTION IF EXISTS search_has_hours(uuid, date, date);
DROP FUNCTION IF EXISTS search_practitioners_changed();
DROP FUNCTION IF EXISTS search_index_practitioners(uuid[]);
DROP FUNCTION IF EXISTS search_services_changed();
DROP FUNCTION IF EXISTS search_practitioner_row();
DROP FUNCTION IF EXISTS search_words(practitioners);
DROP FUNCTION IF EXISTS search_document(practitioners);
DROP FUNCTION IF EXISTS search_certification_text(jsonb);
DROP FUNCTION IF EXISTS search_modality_names(text[]);
DROP FUNCTION IF EXISTS search_service_text(uuid);
"""


def upgrade() -> None:
    op.create_table(
        "search_terms",
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("frequency", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_search_terms")),
    )
    op.create_table(
        "search_suggestions",
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", name=op.f("pk_search_suggestions")),
    )
    op.create_index(
        "ix_search_suggestions_key",
        "search_suggestions",
        ["key"],
        unique=False,
        postgresql_ops={"key": "text_pattern_ops"},
    )
    op.add_column("practitioners", sa.Column("search_vector", postgresql.TSVECTOR(), nullable=True))
    op.add_column(
        "services",
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(SERVICE_DOCUMENT, persisted=True),
            nullable=False,
        ),
    )
    op.execute(FUNCTIONS)
    op.execute(TRIGGERS)
    # Existing rows get their documents and vocabulary now (the triggers only see new writes).
    op.execute("UPDATE practitioners AS p SET search_vector = search_document(p)")
    op.execute("SELECT search_refresh()")
    op.create_index(
        "ix_practitioners_search_vector",
        "practitioners",
        ["search_vector"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        "ix_practitioners_name_prefix",
        "practitioners",
        [sa.literal_column("lower(display_name) text_pattern_ops")],
        unique=False,
    )
    op.create_index(
        "ix_services_search_vector",
        "services",
        ["search_vector"],
        unique=False,
        postgresql_using="gin",
    )


def downgrade() -> None:
    op.drop_index("ix_services_search_vector", table_name="services")
    op.drop_index("ix_practitioners_name_prefix", table_name="practitioners")
    op.drop_index("ix_practitioners_search_vector", table_name="practitioners")
    op.execute(DROP)
    op.drop_column("services", "search_vector")
    op.drop_column("practitioners", "search_vector")
    op.drop_index("ix_search_suggestions_key", table_name="search_suggestions")
    op.drop_table("search_suggestions")
    op.drop_table("search_terms")
