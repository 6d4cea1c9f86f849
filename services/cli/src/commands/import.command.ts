import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { access, readFile } from 'node:fs/promises'
import { Kysely, PostgresDialect, type QueryExecutorProvider } from 'kysely'
import type pg from 'pg'
import {
  restoreInTransaction,
  StoreNotEmptyError,
  type EventStore,
  type NewEvent,
  type PostgresEventStore,
  type RecordedEventToRestore,
} from '@pc/event-store'
import {
  LEDGER_CHECKPOINT_STREAM,
  TREE_HEAD_SIGNED,
  exportFiles,
  keyIdOf,
  loadPublicKeyPem,
  readLineBatches,
  verifyExport,
  type SignedTreeHead,
} from '@pc/ledger'
import { openRuntime } from '@pc/platform'
import { createReadModelDatabase, migrateReadModels } from '@pc/read-models'
import { ledgerHolds, restoreHeads, signedHeadOf, type HeadToRestore, type LedgerTransactional } from '@pc/read-models/ledger'
import { startProgress, type Progress } from '../progress/progress.js'
import { type CliCommand, configOrReport, parseCommandArgs, printResult, USAGE_ERROR } from './command.js'

/**
 * `cli import --in log.jsonl`: restores a whole-log export (`cli export --all`) into an EMPTY store, so that the
 * restored store has the same log and the same ledger: every event with its id, stream, revision, type, schema
 * version, data and metadata (hash chain included) unchanged, in the same delivery order of `$all` — so the Merkle
 * tree rebuilt from it has the same leaves in the same order and every head signed before verifies against it.
 *
 * The order of work, each step before anything is written:
 * 1. the file must be a whole-log export (a stream export cannot restore a store) with unique event ids;
 * 2. it must verify (`verifyExport`, what `cli verify` runs: chains, the tree, the signed head and every head in
 *    `ledger-checkpoints`), with `--public-key`/`--head` if given, else the key and head beside it;
 * 3. the store must hold no event, and the ledger tables no leaf or head.
 *
 * Then the events go in. On PostgreSQL in ONE transaction (`restoreInTransaction`, which also keeps each event's
 * `recordedAt`) together with the heads, so a failure leaves the store as empty as it was. On EventStoreDB, which has
 * no transaction across streams, as ordinary appends in file order (each run of one stream is one append with the
 * exact expected revision, the events as sealed — nothing is re-hashed), then the heads; the server stamps its own
 * `created` time. The heads of the export (every `TreeHeadSigned` of the log, and the head file) go into
 * `ledger_heads` with the public key, so they are served and never signed again. Positions are the new store's.
 *
 * The read models are not written: the projector builds them as it does for any new event, or `cli rebuild --all`.
 */

export interface ImportOptions {
  store: EventStore
  /** The read-model database (the ledger's heads and keys go there). */
  db: LedgerTransactional
  in: string
  /** A head file instead of `<in>.head.json`. */
  head?: string
  /** A public key file instead of `<in>.pub.pem` (the key you trust, rather than the one that came with the file). */
  publicKey?: string
  /** Told as events are written. */
  progress?: Progress
}

export interface ImportResult {
  ok: boolean
  exitCode: 0 | 1
  summary: string
  events: number
  streams: number
  heads: number
}

/** The answer for a file or store that is refused: nothing has been written. */
class Refused extends Error {}

/** The import broke off after it began writing; the message says what the store holds now. */
class Failed extends Error {}

/**
 * Verifies an export and restores it into an empty store (see the module comment).
 *
 * @example
 * const { exitCode, summary } = await importEvents({ store: runtime.eventStore, db: runtime.db, in: 'log.jsonl' })
 */
export async function importEvents(options: ImportOptions): Promise<ImportResult> {
  try {
    return await restore(options)
  } catch (error) {
    if (error instanceof StoreNotEmptyError) return refused(`${error.message}; nothing was written`)
    if (error instanceof Failed) return { ok: false, exitCode: 1, summary: `import FAILED: ${error.message}`, events: 0, streams: 0, heads: 0 }
    if (!(error instanceof Refused)) throw error
    return refused(error.message)
  }
}

function refused(reason: string): ImportResult {
  return { ok: false, exitCode: 1, summary: `import refused: ${reason}`, events: 0, streams: 0, heads: 0 }
}

async function restore(options: ImportOptions): Promise<ImportResult> {
  const files = exportFiles(options.in)
  if (!(await exists(options.in))) throw new Refused(`${options.in}: no such file; nothing was written`)
  if (await exists(files.proofs)) {
    throw new Refused(`${options.in} is the export of one stream (${files.proofs} is beside it); restore from \`cli export --all\``)
  }
  const before = await digestOf(options.in)
  const lines = await checkIds(options.in)

  const verified = await verifyExport({
    in: options.in,
    ...(options.head !== undefined && { head: options.head }),
    ...(options.publicKey !== undefined && { publicKey: options.publicKey }),
  })
  if (!verified.ok) throw new Refused(`${verified.summary.replace(/^FAILED /, '')}; the file does not verify, nothing was written`)
  // verifyExport has checked both with each other; an export always has them (it refuses to verify without).
  const publicKeyPem = await readFile(options.publicKey ?? files.publicKey, 'utf8')
  const keyId = keyIdOf(loadPublicKeyPem(publicKeyPem))
  const givenHead = signedHeadOf(JSON.parse(await readFile(options.head ?? files.head, 'utf8')) as SignedTreeHead)

  for await (const first of options.store.readAll({ maxCount: 1 })) throw new StoreNotEmptyError(`it holds events, the first in stream ${first.streamId}`)
  const ledger = await ledgerHolds(options.db)
  if (ledger.leaves > 0n || ledger.heads > 0n) {
    throw new Refused(
      `the event store is empty but the ledger tables hold ${ledger.leaves} leaves and ${ledger.heads} heads of another log ` +
        '(a database that once had events); restore into a fresh database. Nothing was written',
    )
  }

  const written =
    'pool' in options.store
      ? await restorePostgres(options.store as PostgresEventStore, options, { before, keyId, publicKeyPem, givenHead, lines })
      : await restoreByAppending(options.store, options, { before, keyId, publicKeyPem, givenHead, lines })
  const latest = written.heads.at(-1)?.head
  return {
    ok: true,
    exitCode: 0,
    events: written.events,
    streams: written.streams,
    heads: written.heads.length,
    summary:
      `imported ${written.events} events in ${written.streams} streams from ${options.in} (${verified.summary.replace(/^verified [^:]*: /, 'verified: ')}); ` +
      `${written.heads.length} signed heads restored` +
      (latest ? ` (latest: tree size ${latest.treeSize})` : '') +
      (written.skippedHeads > 0 ? `, ${written.skippedHeads} signed by other keys left out` : '') +
      '. Build the read models with `cli rebuild --all` (or start the stack), then check with `cli audit`',
  }
}

interface Verified {
  /** SHA-256 of the file as verified: what is written must be the same bytes. */
  before: string
  keyId: string
  publicKeyPem: string
  givenHead: SignedTreeHead
  lines: number
}

interface Written {
  events: number
  streams: number
  heads: HeadToRestore[]
  skippedHeads: number
}

/** PostgreSQL: events and heads in one transaction, so a failure anywhere leaves the store empty. */
async function restorePostgres(store: PostgresEventStore, options: ImportOptions, verified: Verified): Promise<Written> {
  const client = await store.pool.connect()
  let broken: Error | undefined
  try {
    await client.query('begin')
    const inLog: PublishedHead[] = []
    let done = 0
    const result = await restoreInTransaction(client, eventsOf(options.in), {
      onBatch(restored) {
        for (const { event, position } of restored) {
          if (isHeadEvent(event)) inLog.push({ head: event.data as unknown as SignedTreeHead, revision: event.revision, position })
        }
        done += restored.length
        options.progress?.update(done, verified.lines)
      },
    })
    await assertUnchanged(options.in, verified.before, 'nothing was written')
    const heads = headsToRestore(inLog, verified)
    await restoreHeads(onClient(client), verified.publicKeyPem, heads.restore)
    await client.query('commit')
    store.notifyAppended()
    return { events: result.events, streams: result.streams, heads: heads.restore, skippedHeads: heads.skipped }
  } catch (error) {
    await client.query('rollback').catch((rollbackError: unknown) => {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError))
    })
    if (error instanceof Refused || error instanceof StoreNotEmptyError) throw error
    throw new Failed(`${(error as Error).message}; rolled back, nothing was written`, { cause: error })
  } finally {
    client.release(broken)
  }
}

/**
 * Any other store (EventStoreDB): the port's `append`, in file order, one append per run of one stream with the
 * exact expected revision. `append` stores the events as given (sealed, never re-hashed), so ids, revisions, data and
 * metadata come back unchanged; delivery order is append order. There is no transaction across streams: everything
 * that can refuse the file has run before the first append, and an interruption halfway leaves a store that a
 * second import refuses (start again from an empty one).
 */
async function restoreByAppending(store: EventStore, options: ImportOptions, verified: Verified): Promise<Written> {
  let events = 0
  const streams = new Set<string>()
  const inLog: Array<{ head: SignedTreeHead; revision: bigint }> = []
  let run: RecordedEventToRestore[] = []
  const flush = async () => {
    if (run.length === 0) return
    const first = run[0]!
    await store.append(first.streamId, run.map(toNewEvent), { expectedRevision: first.revision === 0n ? 'no_stream' : first.revision - 1n })
    events += run.length
    streams.add(first.streamId)
    run = []
    options.progress?.update(events, verified.lines)
  }
  const partly = () =>
    `the store now holds the first ${events} of the ${verified.lines} events; restore again into an empty store`
  try {
    for await (const event of eventsOf(options.in)) {
      if (run.length > 0 && (run[0]!.streamId !== event.streamId || run.length >= 500)) await flush()
      if (isHeadEvent(event)) inLog.push({ head: event.data as unknown as SignedTreeHead, revision: event.revision })
      run.push(event)
    }
    await flush()
  } catch (error) {
    throw new Failed(`${(error as Error).message}; ${partly()}`, { cause: error })
  }
  await assertUnchanged(options.in, verified.before, partly())

  // Where each head's event is now: the stream's revisions are the file's, the positions this store's.
  const positions = new Map<bigint, bigint>()
  for await (const event of store.readStream(LEDGER_CHECKPOINT_STREAM)) positions.set(event.revision, event.position)
  const heads = headsToRestore(
    inLog.map(({ head, revision }) => ({ head, revision, position: positions.get(revision)! })),
    verified,
  )
  await options.db.transaction().execute((trx) => restoreHeads(trx, verified.publicKeyPem, heads.restore))
  return { events, streams: streams.size, heads: heads.restore, skippedHeads: heads.skipped }
}

function toNewEvent(event: RecordedEventToRestore): NewEvent {
  return { eventId: event.eventId, type: event.type, schemaVersion: event.schemaVersion, data: event.data, metadata: event.metadata }
}

/** A `TreeHeadSigned` of the restored log and where it now is. */
interface PublishedHead {
  head: SignedTreeHead
  revision: bigint
  position: bigint
}

function isHeadEvent(event: RecordedEventToRestore): boolean {
  return event.streamId === LEDGER_CHECKPOINT_STREAM && event.type === TREE_HEAD_SIGNED
}

/**
 * The heads to record, smallest tree first: every `TreeHeadSigned` of the log (published where it now is) and the
 * head file (published too if it is one of them). Only heads by the verified key: heads by another key were not
 * checked, so they are not vouched for here (they stay in the log).
 */
function headsToRestore(inLog: readonly PublishedHead[], verified: Verified): { restore: HeadToRestore[]; skipped: number } {
  const bySize = new Map<string, HeadToRestore>()
  let skipped = 0
  const candidates: HeadToRestore[] = [
    ...inLog.map((h) => ({ head: h.head, published: { revision: h.revision, position: h.position } })),
    { head: verified.givenHead },
  ]
  for (const { head, published } of candidates) {
    if (head.keyId !== verified.keyId) {
      skipped++
      continue
    }
    const known = bySize.get(head.treeSize)
    if (!known) bySize.set(head.treeSize, published ? { head: signedHeadOf(head), published } : { head: signedHeadOf(head) })
  }
  const restore = [...bySize.values()].sort((a, b) => (BigInt(a.head.treeSize) < BigInt(b.head.treeSize) ? -1 : 1))
  return { restore, skipped }
}

/** The events of an export, line by line as `verifyExport` reads them (blank lines skipped). */
async function* eventsOf(file: string): AsyncGenerator<RecordedEventToRestore> {
  for await (const { lines, first } of readLineBatches(file)) {
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]!
      if (text.trim() !== '') yield eventOfLine(text, file, first + i)
    }
  }
}

function eventOfLine(text: string, file: string, line: number): RecordedEventToRestore {
  let e: Record<string, unknown>
  try {
    e = JSON.parse(text) as Record<string, unknown>
  } catch (error) {
    throw new Refused(`${file} line ${line}: not JSON (${(error as Error).message}); nothing was written`)
  }
  const bad = (what: string) => new Refused(`${file} line ${line}: not an exported event (${what}); nothing was written`)
  if (e === null || typeof e !== 'object' || Array.isArray(e)) throw bad('not an object')
  if (typeof e.eventId !== 'string' || typeof e.streamId !== 'string' || typeof e.type !== 'string') throw bad('eventId, streamId or type')
  if (typeof e.revision !== 'string' || !/^\d+$/.test(e.revision)) throw bad('revision')
  if (typeof e.schemaVersion !== 'number' || !Number.isInteger(e.schemaVersion)) throw bad('schemaVersion')
  if (!isObject(e.data) || !isObject(e.metadata)) throw bad('data or metadata')
  if (typeof e.recordedAt !== 'string' || Number.isNaN(Date.parse(e.recordedAt))) throw bad('recordedAt')
  return {
    eventId: e.eventId,
    streamId: e.streamId,
    revision: BigInt(e.revision),
    type: e.type,
    schemaVersion: e.schemaVersion,
    data: e.data as RecordedEventToRestore['data'],
    metadata: e.metadata as RecordedEventToRestore['metadata'],
    recordedAt: e.recordedAt,
  }
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Every event parses and no event id comes twice (EventStoreDB would store a repeat in another stream; the chains and
 * the tree do not forbid one). Returns the number of events.
 */
async function checkIds(file: string): Promise<number> {
  const seen = new Set<string>()
  for await (const event of eventsOf(file)) {
    const id = event.eventId.toLowerCase()
    if (seen.has(id)) throw new Refused(`${file}: event id ${id} comes twice; nothing was written`)
    seen.add(id)
  }
  return seen.size
}

async function digestOf(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

async function assertUnchanged(file: string, before: string, consequence: string): Promise<void> {
  if ((await digestOf(file)) !== before) throw new Failed(`${file} changed while it was being imported; ${consequence}`)
}

/** A kysely view of one checked-out client, so the ledger's SQL runs inside the transaction open on it. */
function onClient(client: pg.PoolClient): QueryExecutorProvider {
  return new Kysely<Record<string, never>>({
    dialect: new PostgresDialect({
      pool: {
        // Released by `restorePostgres`, not by kysely: the transaction outlives each statement run here.
        connect: async () => ({ query: client.query.bind(client) as never, release: () => undefined }),
        end: async () => undefined,
      },
    }),
  })
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  )
}

export const importCommand: CliCommand = {
  name: 'import',
  summary: 'restore a whole-log export into an empty store (verified first; the same log, hashes and Merkle tree)',
  usage: 'import --in <file.jsonl> [--head <head.json>] [--public-key <pem>] [--quiet]',
  async run(args, io) {
    const parsed = parseCommandArgs('import', args, io, {
          in: { type: 'string' },
          head: { type: 'string' },
          'public-key': { type: 'string' },
          quiet: { type: 'boolean', short: 'q' },
        })
    if (typeof parsed === 'number') return parsed
    const { values } = parsed
    if (!values.in) {
      io.err(`import: give --in\nusage: pnpm cli ${importCommand.usage}`)
      return USAGE_ERROR
    }
    const config = configOrReport(io)
    if (!config) return 1
    const runtime = await openRuntime(config)
    const progress = startProgress({ label: 'import', sink: io.progress, quiet: values.quiet === true })
    try {
      // The ledger's tables must exist to hold the heads (a fresh database has none until something migrates it).
      // On the runtime's pool, which the runtime ends: this kysely instance is never destroyed (it would end it).
      const db = createReadModelDatabase({ pool: runtime.pool })
      await migrateReadModels(db)
      const result = await importEvents({
        store: runtime.eventStore,
        db,
        in: values.in,
        ...(values.head !== undefined && { head: values.head }),
        ...(values['public-key'] !== undefined && { publicKey: values['public-key'] }),
        progress,
      })
      progress.finish()
      return printResult(io, result)
    } finally {
      progress.finish()
      await runtime.close()
    }
  },
}
