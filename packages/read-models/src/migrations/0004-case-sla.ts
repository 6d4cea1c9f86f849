import { sql, type Kysely, type Migration } from 'kysely'

/** SLA clocks per case (`cases/case-sla.projection.ts`). */
export const caseSla: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table case_sla (
        case_id                      uuid primary key,
        status                       text not null,
        open                         boolean not null,
        kind                         text not null,
        category                     text not null,
        priority                     text not null,
        building                     text not null,
        assignee_id                  text,
        escalation_level             integer not null,
        policy_id                    text not null,
        response_due_at              timestamptz not null,
        response_running             boolean not null,
        response_met                 boolean,
        response_overdue_recorded    boolean not null,
        update_due_at                timestamptz,
        update_overdue_recorded      boolean not null,
        resolution_due_at            timestamptz not null,
        resolution_running           boolean not null,
        resolution_met               boolean,
        resolution_overdue_recorded  boolean not null,
        next_due_at                  timestamptz,
        state                        jsonb not null
      )`.execute(db)
    await sql`create index case_sla_open_due_idx on case_sla (next_due_at) where open`.execute(db)
  },
  async down(db: Kysely<unknown>) {
    await sql`drop table case_sla`.execute(db)
  },
}
