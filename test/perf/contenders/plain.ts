import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import type { CaseEvent } from '@pc/contracts'
import { caseDecider, type CaseState } from '@pc/domain'
import { caseProjections } from '@pc/read-models'
import { runAppends, runReads, type ReadTarget } from '../lib/drivers.js'
import type { Tasks } from '../lib/tasks.js'
import { DeliveryTally, median, peakRssMb, type BenchEvent, type PlannedAppend } from '../lib/workload.js'

/**
 * The baselines: plain `pg` doing the least that gives the same result — what one round trip and one commit cost
 * on this machine. No event store logic, no validation, no retries.
 */

/**
 * The table a plain event log needs: the same columns as ours, a unique event id and a unique (stream, revision)
 * that checks the expected revision for free (a stale writer collides). No streams table, no transaction-id
 * column or delivery-order index, no triggers.
 */
const SCHEMA = `
  create table if not exists events (
    position        bigint generated always as identity primary key,
    stream_id       text not null,
    revision        bigint not null,
    event_id        uuid not null unique,
    type            text not null,
    schema_version  integer not null,
    data            jsonb not null,
    metadata        jsonb not null,
    recorded_at     timestamptz not null default now(),
    unique (stream_id, revision)
  )`

const COLUMNS = 'stream_id, revision, event_id, type, schema_version, data, metadata'
const READ_COLUMNS = `position, ${COLUMNS}, recorded_at`

function row(step: PlannedAppend, k: number, event: BenchEvent): unknown[] {
  return [step.streamId, step.revision + k, event.eventId, event.type, event.schemaVersion, JSON.stringify(event.data), JSON.stringify(event.metadata)]
}

const INSERT_ONE = { name: 'plain_insert_one', text: `insert into events (${COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7) returning position` }

function insertMany(rows: number) {
  const values = Array.from({ length: rows }, (_, r) => `(${Array.from({ length: 7 }, (_, c) => `$${r * 7 + c + 1}`).join(', ')})`)
  return { name: `plain_insert_${rows}`, text: `insert into events (${COLUMNS}) values ${values.join(', ')} returning position` }
}

/** COPY's text format: tab-separated, backslash escapes. JSON text holds no raw tab or newline, only backslashes. */
function copyLine(step: PlannedAppend, k: number, event: BenchEvent): string {
  const escape = (value: string) => value.replaceAll('\\', '\\\\')
  return [step.streamId, step.revision + k, event.eventId, event.type, event.schemaVersion, escape(JSON.stringify(event.data)), escape(JSON.stringify(event.metadata))].join('\t') + '\n'
}

async function target(url: string, batched = false, copy = false): Promise<ReadTarget> {
  const pool = new pg.Pool({ connectionString: url, max: 16 })
  pool.on('error', () => undefined)
  await pool.query(SCHEMA)
  const one = (step: PlannedAppend) => pool.query({ ...INSERT_ONE, values: row(step, 0, step.events[0]!) })
  const many = (step: PlannedAppend) => pool.query({ ...insertMany(step.events.length), values: step.events.flatMap((event, k) => row(step, k, event)) })
  const viaCopy = async (step: PlannedAppend) => {
    const client = await pool.connect()
    try {
      const lines = step.events.map((event, k) => copyLine(step, k, event)).join('')
      await pipeline(Readable.from([lines]), client.query(copyFrom(`copy events (${COLUMNS}) from stdin`)))
    } finally {
      client.release()
    }
  }
  const read = { name: 'plain_read_stream', text: `select ${READ_COLUMNS} from events where stream_id = $1 order by revision` }
  return {
    append: !batched ? one : copy ? viaCopy : many,
    read: async (streamId) => (await pool.query({ ...read, values: [streamId] })).rows.length,
    close: () => pool.end(),
  }
}

/** Rows of a table as PostgreSQL's text output, so they go back in exactly as they came out. */
const AS_TEXT = { getTypeParser: () => (value: string) => value }

export const tasks: Tasks = {
  appends: (p) => runAppends(p, (url, batched) => target(url, batched, p.copy)),

  /** The stream is written with multi-row INSERTs of 500 and read with one SELECT. */
  reads: async (p) => runReads(p, await target(p.url, true)),

  /**
   * The reading limit of catch-up: page through the same `events` table our store wrote, by position alone, 500
   * rows a page (our subscription's page size). Safe here only because every writer has finished.
   */
  async 'catchup-read'(p) {
    const client = new pg.Client({ connectionString: p.url })
    await client.connect()
    try {
      const tally = new DeliveryTally(p.events)
      const query = { name: 'plain_page', text: `select position, data, metadata, stream_id, revision, event_id, type from events where position > $1 order by position limit 500` }
      const started = performance.now()
      let after = '0'
      for (;;) {
        const { rows } = await client.query<{ position: string; data: { n: number } }>({ ...query, values: [after] })
        for (const r of rows) tally.add(r.data.n)
        if (rows.length < 500) break
        after = rows[rows.length - 1]!.position
      }
      const seconds = (performance.now() - started) / 1000
      return { rate: tally.delivered / seconds, delivered: tally.delivered, missed: tally.missed, duplicated: tally.duplicated }
    } finally {
      await client.end()
    }
  },

  /**
   * The rebuild's baseline: the rows our rebuild ended with, written again into empty copies of the same tables
   * (same indexes and constraints) with multi-row INSERTs of up to 500 rows, each its own commit.
   */
  async rebuild(p) {
    const pool = new pg.Pool({ connectionString: p.url, max: 1 })
    pool.on('error', () => undefined)
    try {
      const tables = caseProjections.flatMap((projection) => projection.tables)
      const contents = []
      await pool.query('drop schema if exists plain_baseline cascade; create schema plain_baseline')
      for (const table of tables) {
        await pool.query(`create table plain_baseline.${table} (like public.${table} including all)`)
        const result = await pool.query({ text: `select * from public.${table}`, rowMode: 'array', types: AS_TEXT })
        contents.push({ table, columns: result.fields.map((f) => f.name), rows: result.rows as unknown[][] })
      }
      await pool.query('checkpoint')
      const started = performance.now()
      let rows = 0
      for (const { table, columns, rows: values } of contents) {
        const perStatement = Math.min(500, Math.floor(65_535 / columns.length))
        for (let from = 0; from < values.length; from += perStatement) {
          const chunk = values.slice(from, from + perStatement)
          const tuples = chunk.map((_, r) => `(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(', ')})`)
          await pool.query({
            name: `plain_${table}_${chunk.length}`,
            text: `insert into plain_baseline.${table} (${columns.join(', ')}) values ${tuples.join(', ')}`,
            values: chunk.flat(),
          })
          rows += chunk.length
        }
      }
      const seconds = (performance.now() - started) / 1000
      return { rate: p.events / seconds, seconds, peakRssMb: peakRssMb(), rows }
    } finally {
      await pool.end()
    }
  },

  /** Replay's baseline: one SELECT of the events up to the revision and the decider's fold, with no upcasting or validation. */
  async replay(p) {
    const client = new pg.Client({ connectionString: p.url })
    await client.connect()
    try {
      const query = { name: 'plain_replay', text: 'select type, data from events where stream_id = $1 and revision <= $2 order by revision', values: [p.streamId, p.revision] }
      const replay = async () => {
        const { rows } = await client.query<{ type: CaseEvent['type']; data: CaseEvent['data'] }>(query)
        let state: CaseState = caseDecider.initialState
        for (const r of rows) state = caseDecider.evolve(state, { type: r.type, data: r.data } as CaseEvent)
        return state
      }
      const state = await replay()
      const runs: number[] = []
      for (let i = 0; i < p.runs; i++) {
        const started = performance.now()
        await replay()
        runs.push(performance.now() - started)
      }
      return { ms: median(runs), status: state.status }
    } finally {
      await client.end()
    }
  },
}
