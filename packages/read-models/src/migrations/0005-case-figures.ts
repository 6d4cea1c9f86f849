import { sql, type Kysely, type Migration } from 'kysely'

/**
 * Per-case facts the case figures are aggregated from at query time (`cases/case-figures.projection.ts`):
 * medians and percentiles cannot be maintained incrementally, so each case keeps its own durations.
 */
export const caseFigures: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table case_figures_cases (
        case_id                 uuid primary key,
        month                   text not null,
        category                text not null,
        building                text not null,
        kind                    text not null,
        status                  text not null,
        reported_at             timestamptz not null,
        clock_started_at        timestamptz,
        clock_ms                double precision not null,
        first_response_minutes  double precision,
        resolution_minutes      double precision,
        response_met            boolean,
        resolution_met          boolean,
        resolved_count          integer not null,
        reopen_count            integer not null,
        rating_sum              integer not null,
        rating_count            integer not null,
        state                   jsonb not null
      )`.execute(db)
    await sql`create index case_figures_cases_month_idx on case_figures_cases (month)`.execute(db)
  },
  async down(db: Kysely<unknown>) {
    await sql`drop table case_figures_cases`.execute(db)
  },
}
