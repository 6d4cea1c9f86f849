import { createHash, randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { sql } from 'kysely'
import type { CaseCommand, CaseState, CommandActor } from '@pc/domain'
import { caseDecider, caseEventCodec, DEFAULT_SLA_POLICY } from '@pc/domain'
import { createPostgresEventStore, type NewEvent, type PostgresEventStore } from '@pc/event-store'
import {
  appendLeaf,
  EMPTY_FRONTIER,
  exportPublicKeyPem,
  frontierRoot,
  generateSigningKeyPair,
  leafInputOfEventHash,
  sealEvents,
  signTreeHead,
  treeHead,
  ZERO_HASH,
} from '@pc/ledger'
import { caseProjections, createReadModelDatabase, migrateReadModels, rebuildProjections } from '@pc/read-models'
import { appendHistories, generateCaseHistories, type GeneratedCase } from '../../../packages/read-models/test/support/case-history.js'
import type { Tasks } from '../lib/tasks.js'
import { benchEvent, median, peakRssMb } from '../lib/workload.js'

/** Our read side: rebuilding the case read models, replaying a case's history, `cli verify`. */

async function withStore<T>(url: string, fn: (store: PostgresEventStore) => Promise<T>, maxConnections = 16): Promise<T> {
  const store = await createPostgresEventStore({ connectionString: url, maxConnections })
  store.pool.on('error', () => undefined)
  try {
    return await fn(store)
  } finally {
    await store.close()
  }
}

/** A history of `events` events on one case, made by the real decider: notes, holds, escalations. */
function longCaseHistory(events: number): { streamId: string; events: NewEvent[] } {
  const caseId = randomUUID()
  const streamId = `case-${caseId}`
  const staff: CommandActor = { id: 'staff-1', roles: ['staff'] }
  const resident: CommandActor = { id: 'resident-1', roles: ['resident'] }
  let now = Date.parse('2026-01-05T01:00:00.000Z')
  let state: CaseState = caseDecider.initialState
  const decided: NewEvent[] = []
  const run = (command: CaseCommand) => {
    const at = new Date(now).toISOString()
    for (const event of caseDecider.decide(command, state, { now: at, slaPolicy: DEFAULT_SLA_POLICY })) {
      state = caseDecider.evolve(state, event)
      decided.push({
        eventId: randomUUID(),
        ...caseEventCodec.toStored(event),
        metadata: { actor: { id: command.actor.id, roles: [...command.actor.roles] }, occurredAt: at, correlationId: randomUUID(), causationId: null, prevHash: ZERO_HASH, hash: ZERO_HASH },
      })
    }
    now += 10 * 60_000
  }
  run({
    type: 'report',
    caseId,
    actor: resident,
    data: {
      kind: 'repair',
      category: 'lift',
      title: 'Lift in building 3 stops between floors',
      description: 'The lift stops between the 5th and 6th floor about once a day.',
      channel: 'app',
      priority: 'high',
      location: { building: 'B3', unit: '602' },
    },
  })
  run({ type: 'assign', data: { assigneeId: 'tech-7', team: 'lifts' }, actor: staff })
  for (let i = 0; decided.length < events; i++) {
    if (i % 100 === 50 && state.status === 'in_progress') run({ type: 'hold', data: { reason: 'waiting for the lift company' }, actor: staff })
    else if (state.status === 'on_hold' && i % 100 === 60) run({ type: 'resume', data: {}, actor: staff })
    else if (i % 1000 === 999) run({ type: 'escalate', data: { reason: 'stopped again with people inside' }, actor: staff })
    else run({ type: 'note', data: { body: `Visit ${i}: sensor cleaned, door timing checked.`, visibility: i % 3 === 0 ? 'internal' : 'public' }, actor: staff })
  }
  return { streamId, events: sealEvents(streamId, 0n, ZERO_HASH, decided.slice(0, events)) as NewEvent[] }
}

export const readSideTasks: Tasks = {
  async 'rebuild-setup'(p) {
    const cases: GeneratedCase[] = []
    let events = 0
    for (let round = 0; events < p.events; round++) {
      for (const generated of generateCaseHistories({ cases: 500, seed: p.seed + round })) {
        if (events >= p.events) break
        cases.push(generated)
        events += generated.events.length
      }
    }
    await withStore(p.url, (store) => appendHistories(store, cases, 8))
    const db = createReadModelDatabase({ connectionString: p.url })
    try {
      await migrateReadModels(db)
    } finally {
      await db.destroy()
    }
    return { events, cases: cases.length }
  },

  async rebuild(p) {
    const db = createReadModelDatabase({ connectionString: p.url })
    const store = await createPostgresEventStore({ connectionString: p.url, maxConnections: 4 })
    try {
      await sql`checkpoint`.execute(db)
      const started = performance.now()
      const results = await rebuildProjections({ db, store, projections: caseProjections })
      const seconds = (performance.now() - started) / 1000
      for (const result of results) {
        if (result.events < p.events) throw new Error(`${result.projection} read ${result.events} of ${p.events} events`)
      }
      let rows = 0
      for (const table of caseProjections.flatMap((projection) => projection.tables)) {
        const { rows: counted } = await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(db)
        rows += Number(counted[0]!.n)
      }
      const perProjection = Object.fromEntries(results.map((r) => [r.projection, r.durationMs / 1000]))
      return { rate: p.events / seconds, seconds, peakRssMb: peakRssMb(), rows, perProjection }
    } finally {
      await store.close()
      await db.destroy()
    }
  },

  async 'replay-setup'(p) {
    const history = longCaseHistory(p.events)
    await withStore(p.url, async (store) => {
      for (let from = 0; from < history.events.length; from += 500) {
        await store.append(history.streamId, history.events.slice(from, from + 500), { expectedRevision: from === 0 ? 'no_stream' : BigInt(from - 1) })
      }
    })
    return { streamId: history.streamId, events: history.events.length }
  },

  async replay(p) {
    return withStore(p.url, async (store) => {
      const replay = async () => {
        let state: CaseState = caseDecider.initialState
        for await (const event of store.readStream(p.streamId, { maxCount: p.revision + 1 })) {
          state = caseDecider.evolve(state, caseEventCodec.fromStored(event))
        }
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
    })
  },

  async 'verify-setup'(p) {
    const file = join(p.dir, 'log.jsonl')
    const streams = Math.max(1, Math.floor(p.events / 20))
    const names = Array.from({ length: streams }, () => `case-${randomUUID()}`)
    const heads = new Map<string, string>()
    const { privateKey, publicKey } = generateSigningKeyPair()
    let frontier = EMPTY_FRONTIER
    const lines: string[] = []
    for (let i = 0; i < p.events; i++) {
      const streamId = names[i % streams]!
      const revision = BigInt(Math.floor(i / streams))
      const [sealed] = sealEvents(streamId, revision, heads.get(streamId) ?? ZERO_HASH, [benchEvent(i, streamId)])
      const { n: _n, ...event } = sealed!
      heads.set(streamId, event.metadata.hash)
      frontier = appendLeaf(frontier, leafInputOfEventHash(event.metadata.hash)).frontier
      const at = event.metadata.occurredAt
      lines.push(JSON.stringify({ ...event, streamId, revision: revision.toString(), position: String(i + 1), recordedAt: at }))
    }
    await writeFile(file, lines.join('\n') + '\n')
    const head = signTreeHead(treeHead(BigInt(p.events), frontierRoot(frontier), new Date()), privateKey)
    await writeFile(`${file}.head.json`, JSON.stringify(head))
    await writeFile(`${file}.pub.pem`, exportPublicKeyPem(publicKey))
    return { file, bytes: (await stat(file)).size, events: p.events }
  },

  async verify(p) {
    const bytes = (await stat(p.file)).size
    const sha256 = async () => {
      const hash = createHash('sha256')
      for await (const chunk of createReadStream(p.file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer)
      return hash.digest('hex')
    }
    const figures = (seconds: number) => ({ seconds, mbPerSecond: bytes / 1e6 / seconds, eventsPerSecond: p.events / seconds })
    await sha256()
    const out: string[] = []
    const err: string[] = []
    const io = { env: process.env, out: (line: string) => void out.push(line), err: (line: string) => void err.push(line) }
    // Loaded here, not at the top: the rebuild's process must not carry the whole CLI in its peak RSS.
    const { runCli } = await import('@pc/cli')
    const verifyRuns: number[] = []
    for (let i = 0; i < p.runs; i++) {
      const started = performance.now()
      const code = await runCli(['verify', '--in', p.file], io)
      verifyRuns.push((performance.now() - started) / 1000)
      if (code !== 0) throw new Error(`cli verify failed (${code}): ${err.join('\n')}`)
    }
    const shaRuns: number[] = []
    for (let i = 0; i < Math.max(3, p.runs); i++) {
      const started = performance.now()
      await sha256()
      shaRuns.push((performance.now() - started) / 1000)
    }
    return { summary: out.at(-1) ?? '', ours: figures(median(verifyRuns)), sha256: figures(median(shaRuns)) }
  },
}
