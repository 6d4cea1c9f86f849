import { sql, type Kysely, type Migration } from 'kysely'

/** Mediations of dispute cases and the terms of their agreements (`mediation/mediation.projection.ts`). */
export const mediation: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table case_mediation (
        mediation_id        uuid primary key,
        case_id             uuid not null,
        status              text not null check (status in ('open', 'concluded')),
        mediator_id         text not null,
        outcome             text check (outcome in ('agreement', 'no_agreement', 'withdrawn', 'referred')),
        referred_to         text,
        opened_at           timestamptz not null,
        deadline_at         timestamptz not null,
        deadline_passed     boolean not null,
        concluded_at        timestamptz,
        days_to_conclusion  double precision,
        revision            bigint not null,
        position            bigint not null,
        view                jsonb not null
      )`.execute(db)
    await sql`create index case_mediation_case_idx on case_mediation (case_id, opened_at desc)`.execute(db)
    // The deadline watcher's scan: open mediations whose passed deadline is not yet recorded.
    await sql`create index case_mediation_deadline_idx on case_mediation (deadline_at)
      where status = 'open' and not deadline_passed`.execute(db)
    await sql`
      create table case_mediation_terms (
        agreement_id      uuid not null,
        term_index        integer not null,
        mediation_id      uuid not null,
        case_id           uuid not null,
        party_id          text not null,
        due_at            timestamptz not null,
        fulfilled         boolean,
        overdue_recorded  boolean not null,
        primary key (case_id, agreement_id, term_index)
      )`.execute(db)
    // The fulfilment watcher's scan: terms not found fulfilled whose breach is not yet recorded.
    await sql`create index case_mediation_terms_due_idx on case_mediation_terms (due_at)
      where fulfilled is not true and not overdue_recorded`.execute(db)
  },
  async down(db: Kysely<unknown>) {
    await sql`drop table case_mediation_terms`.execute(db)
    await sql`drop table case_mediation`.execute(db)
  },
}
