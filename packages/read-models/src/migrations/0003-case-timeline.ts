import { sql, type Kysely, type Migration } from 'kysely'

/** One row per case event (`cases/case-timeline.projection.ts`). */
export const caseTimeline: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table case_timeline (
        case_id      uuid not null,
        revision     bigint not null,
        event_id     uuid not null,
        position     bigint not null,
        type         text not null,
        at           timestamptz not null,
        actor_id     text not null,
        actor_roles  text[] not null,
        visibility   text not null check (visibility in ('public', 'internal')),
        summary      text not null,
        detail       text,
        primary key (case_id, revision),
        constraint case_timeline_event_id_key unique (event_id)
      )`.execute(db)
  },
  async down(db: Kysely<unknown>) {
    await sql`drop table case_timeline`.execute(db)
  },
}
