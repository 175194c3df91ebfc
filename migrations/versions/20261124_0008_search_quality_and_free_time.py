"""Search: a stored quality score with a public index, and "has a free slot" that sees bookings.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 20:30:00.000000

- ``practitioners.search_quality``: the ranking's static part (Bayesian rating and sessions, see
  docs/search.md), a stored generated column so it is always current, and a partial btree index
  over public practitioners in descending order. Broad searches rank only the best candidates by
  this index instead of every match.
- ``search_has_hours`` now subtracts blocked times *and live bookings* (confirmed, or pending
  with an unexpired hold) from each day's working hours, and keeps the day only when a gap at least
  as long as the practitioner's shortest active service remains.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Keep in step with Practitioner.search_quality and docs/search.md (tests/search checks both).
QUALITY = (
    "0.75 * ((5.0 * 4.0 + review_count * rating::double precision) / (5.0 + review_count) / 5.0)"
    " + 0.25 * least(1.0, ln(1.0 + total_sessions) / ln(1001.0))"
)

FREE_TIME = """
CREATE OR REPLACE FUNCTION search_has_hours(p_id uuid, first_day date, last_day date)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1
        FROM availability_schedules AS a,
            LATERAL (SELECT (now() AT TIME ZONE a.timezone)::date AS today) AS t,
            LATERAL generate_series(
                greatest(first_day, t.today)::timestamp,
                least(last_day, t.today + a.max_advance_days)::timestamp,
                interval '1 day'
            ) AS d(day),
            -- An override replaces the weekly hours of its date; no intervals is a day off.
            LATERAL (
                SELECT coalesce(
                    (SELECT o -> 'intervals' FROM jsonb_array_elements(a.overrides) AS o
                        WHERE o ->> 'date' = to_char(d.day, 'YYYY-MM-DD') LIMIT 1),
                    (SELECT jsonb_agg(h) FROM jsonb_array_elements(a.weekly_hours) AS h
                        WHERE h ->> 'day' = (ARRAY['monday', 'tuesday', 'wednesday', 'thursday',
                            'friday', 'saturday', 'sunday'])[extract(isodow FROM d.day)::int])
                ) AS intervals
            ) AS i,
            LATERAL (
                SELECT range_agg(tstzrange(
                    (d.day + (w ->> 'start')::time) AT TIME ZONE a.timezone,
                    (d.day + (w ->> 'end')::time
                        + CASE WHEN (w ->> 'end')::time = '00:00' THEN interval '1 day'
                            ELSE interval '0' END) AT TIME ZONE a.timezone
                )) AS open
                FROM jsonb_array_elements(
                    CASE WHEN jsonb_typeof(i.intervals) = 'array' THEN i.intervals ELSE '[]' END
                ) AS w
            ) AS hours,
            LATERAL (
                SELECT coalesce(min(s.duration_minutes), 1) AS minutes
                FROM services AS s WHERE s.practitioner_id = p_id AND s.is_active
            ) AS shortest
        WHERE a.practitioner_id = p_id
            AND hours.open IS NOT NULL
            AND EXISTS (
                SELECT 1
                FROM unnest(
                    hours.open
                    - coalesce((
                        SELECT range_agg(tstzrange(b.starts_at, b.ends_at))
                        FROM blocked_times AS b
                        WHERE b.practitioner_id = p_id
                            AND b.starts_at < upper(hours.open)
                            AND b.ends_at > lower(hours.open)
                    ), '{}'::tstzmultirange)
                    - coalesce((
                        SELECT range_agg(tstzrange(k.scheduled_at, k.ends_at))
                        FROM bookings AS k
                        WHERE k.practitioner_id = p_id
                            AND k.scheduled_at < upper(hours.open)
                            AND k.ends_at > lower(hours.open)
                            AND (k.status = 'confirmed'
                                OR (k.status = 'pending'
                                    AND (k.hold_expires_at IS NULL OR k.hold_expires_at > now())))
                    ), '{}'::tstzmultirange)
                ) AS free(r)
                WHERE upper(free.r) - lower(free.r) >= make_interval(mins => shortest.minutes)
            )
    )
$$;
"""

# Migration 0006's version, restored on downgrade.
HOURS_ONLY = """
CREATE OR REPLACE FUNCTION search_has_hours(p_id uuid, first_day date, last_day date)
RETURNS boolean
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
"""


def upgrade() -> None:
    op.add_column(
        "practitioners",
        sa.Column(
            "search_quality",
            sa.Double(),
            sa.Computed(QUALITY, persisted=True),
            nullable=False,
        ),
    )
    op.create_index(
        "ix_practitioners_search_quality",
        "practitioners",
        [sa.literal_column("search_quality DESC"), "id"],
        unique=False,
        postgresql_where=sa.text("verification_status = 'verified' AND is_active"),
    )
    op.execute(FREE_TIME)


def downgrade() -> None:
    op.execute(HOURS_ONLY)
    op.drop_index("ix_practitioners_search_quality", table_name="practitioners")
    op.drop_column("practitioners", "search_quality")
