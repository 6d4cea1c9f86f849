import { sql, type Kysely, type Migration } from 'kysely'

/** The staff queue and case detail (`cases/case-list.projection.ts`). */
export const caseList: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table case_list (
        case_id              uuid primary key,
        revision             bigint not null,
        position             bigint not null,
        status               text not null,
        kind                 text not null,
        category             text not null,
        channel              text not null,
        priority             text not null,
        title                text not null,
        building             text not null,
        unit                 text,
        area                 text,
        reporter_id          text,
        reported_by          text not null,
        assignee_id          text,
        team                 text,
        escalation_level     integer not null,
        reopen_count         integer not null,
        note_count           integer not null,
        review_required      boolean not null,
        reviewed             boolean not null,
        rating               smallint,
        response_due_at      timestamptz not null,
        responded_at         timestamptz,
        response_running     boolean not null,
        update_due_at        timestamptz,
        resolution_due_at    timestamptz not null,
        resolution_running   boolean not null,
        resolved_at          timestamptz,
        response_overdue     boolean not null,
        update_overdue       boolean not null,
        resolution_overdue   boolean not null,
        linked_case_ids      uuid[] not null,
        merged_into_case_id  uuid,
        reported_at          timestamptz not null,
        closed_at            timestamptz,
        updated_at           timestamptz not null,
        state                jsonb not null
      )`.execute(db)
    // The queue's stable order (newest first, id as tie-break) doubles as the cursor.
    await sql`create index case_list_order_idx on case_list (reported_at desc, case_id desc)`.execute(db)
    await sql`create index case_list_status_idx on case_list (status, reported_at desc)`.execute(db)
    await sql`create index case_list_assignee_idx on case_list (assignee_id) where assignee_id is not null`.execute(db)
    await sql`create index case_list_building_idx on case_list (building)`.execute(db)
    await sql`create index case_list_reporter_idx on case_list (reporter_id) where reporter_id is not null`.execute(db)
    await sql`create index case_list_merged_into_idx on case_list (merged_into_case_id) where merged_into_case_id is not null`.execute(db)
  },
  async down(db: Kysely<unknown>) {
    await sql`drop table case_list`.execute(db)
  },
}
