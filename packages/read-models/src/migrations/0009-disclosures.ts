import { sql, type Kysely, type Migration } from 'kysely'

/** The disclosure read models (`disclosures/disclosure.projection.ts`; columns in `disclosure.tables.ts`). */
export const disclosures: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table disclosure_list (
        disclosure_id           uuid primary key,
        revision                bigint not null,
        position                bigint not null,
        status                  text not null,
        kind                    text not null,
        title                   text not null,
        version                 integer,
        content_hash            text,
        period_from             text,
        period_to               text,
        effective_at            text,
        comment_period_ends_at  text,
        comment_count           integer not null,
        objection_count         integer not null,
        drafted_at              timestamptz not null,
        published_at            timestamptz,
        retracted_at            timestamptz,
        retract_reason          text,
        updated_at              timestamptz not null,
        draft                   jsonb,
        reviews                 jsonb not null
      )`.execute(db)
    // The list's stable order (newest draft first, id as tie-break) doubles as the cursor.
    await sql`create index disclosure_list_order_idx on disclosure_list (drafted_at desc, disclosure_id desc)`.execute(db)
    await sql`create index disclosure_list_kind_status_idx on disclosure_list (kind, status)`.execute(db)
    await sql`
      create table disclosure_versions (
        disclosure_id  uuid not null,
        version        integer not null,
        content        jsonb not null,
        content_hash   text not null,
        previous_hash  text,
        reason         text,
        published_at   timestamptz not null,
        position       bigint not null,
        primary key (disclosure_id, version)
      )`.execute(db)
    await sql`
      create table disclosure_comments (
        disclosure_id  uuid not null,
        seq            integer not null,
        comment_id     text not null,
        author_id      text not null,
        body           text not null,
        version        integer not null,
        at             timestamptz not null,
        primary key (disclosure_id, seq)
      )`.execute(db)
    await sql`
      create table disclosure_objections (
        disclosure_id  uuid not null,
        objection_id   uuid not null,
        case_id        uuid not null,
        objector_id    text not null,
        reason         text not null,
        version        integer not null,
        at             timestamptz not null,
        position       bigint not null,
        primary key (disclosure_id, objection_id)
      )`.execute(db)
  },
  async down(db: Kysely<unknown>) {
    await sql`drop table disclosure_objections`.execute(db)
    await sql`drop table disclosure_comments`.execute(db)
    await sql`drop table disclosure_versions`.execute(db)
    await sql`drop table disclosure_list`.execute(db)
  },
}
