import { once } from 'node:events'
import { createWriteStream, type WriteStream } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { contexts } from '@pc/contexts'
import type { EventStore, JsonObject, RecordedEvent } from '@pc/event-store'
import { openRuntime } from '@pc/platform'
import { exportFiles, toHex, type ExportedLeaf, type ExportedProof, type SignedTreeHead } from '@pc/ledger'
import {
  findLeavesByEventIds,
  inclusionProof,
  latestHead,
  readLeaves,
  readPublicKey,
  readPublicKeys,
  signedHeadOf,
  type LedgerDb,
} from '@pc/read-models/ledger'
import { estimateLogSize } from '../progress/log-size.js'
import { startProgress, type Progress } from '../progress/progress.js'
import { type CliCommand, configOrReport, parseCommandArgs, USAGE_ERROR } from './command.js'

/**
 * `cli export`: stored events as JSON lines, with what an offline verifier needs alongside.
 *
 * Files (for `--out log.jsonl`; `exportFiles` in `@pc/ledger` names them, and its verifier reads them):
 * - `log.jsonl`: one event per line, exactly as stored — `{ eventId, streamId, revision, position, type,
 *   schemaVersion, data, metadata, recordedAt }`, revision and position as decimal strings. `--all` writes the
 *   log in delivery order (the order of the ledger's leaves), a stream in revision order.
 * - `log.jsonl.head.json`: the latest signed tree head; `log.jsonl.pub.pem`: the public key that signed it;
 *   `log.jsonl.keys.json`: every key the ledger has had, with its period (`GET /v1/ledger/keys`), for the heads in
 *   `ledger-checkpoints` signed before a rotation.
 * - `log.jsonl.leaves.jsonl` (`--all`): the ledger's record of every leaf the head covers — `{ leafIndex, eventId,
 *   streamId, revision, position, leafHash }`. The head's signature authenticates it (its root must be the head's),
 *   and it lets `verify` name the exact event where the log and the ledger part.
 * - `log.jsonl.proofs.jsonl` (`--stream`): an RFC 6962 inclusion proof against the head for every exported event
 *   the head covers — `{ eventId, leafIndex, treeSize, leafHash, auditPath }` — since one stream cannot rebuild
 *   the tree.
 */

/** One line of an export. */
export interface ExportedEvent {
  eventId: string
  streamId: string
  revision: string
  position: string
  type: string
  schemaVersion: number
  data: JsonObject
  metadata: RecordedEvent['metadata']
  recordedAt: string
}

export function toExportedEvent(e: RecordedEvent): ExportedEvent {
  return {
    eventId: e.eventId,
    streamId: e.streamId,
    revision: e.revision.toString(),
    position: e.position.toString(),
    type: e.type,
    schemaVersion: e.schemaVersion,
    data: e.data,
    metadata: e.metadata,
    recordedAt: e.recordedAt,
  }
}

export interface ExportOptions {
  store: EventStore
  /** The read-model database: the latest head, its public key and the leaves/proofs files come from it. */
  db?: LedgerDb
  /** One stream (`--stream`)… */
  stream?: string
  /** …or the whole log (`--all`). */
  all?: boolean
  out: string
  /** A head to write instead of the database's latest. */
  head?: SignedTreeHead
  publicKeyPem?: string
  /** Told as events are written. */
  progress?: Progress
}

export interface ExportResult {
  events: number
  /** The head written alongside, if any. */
  head: SignedTreeHead | undefined
  files: string[]
  summary: string
}

/**
 * Writes an export (see the module comment for the files).
 *
 * @example
 * const { summary } = await exportEvents({ store, db, all: true, out: 'log.jsonl' })
 */
export async function exportEvents(options: ExportOptions): Promise<ExportResult> {
  if ((options.stream === undefined) === !options.all) throw new TypeError('export: give exactly one of stream or all')
  const files = exportFiles(options.out)
  // A sidecar left by an earlier export to the same path would make `verify` check the wrong thing.
  await Promise.all([files.head, files.publicKey, files.keys, files.leaves, files.proofs].map((f) => rm(f, { force: true })))

  // The head first: it then covers only events the log read below already holds (the ledger never runs ahead
  // of the log), so a fresh export always contains everything its head commits to.
  const head = options.head ?? (options.db ? signedHeadFrom(await latestHead(options.db)) : undefined)
  const publicKeyPem = options.publicKeyPem ?? (head && options.db ? (await readPublicKey(options.db, head.keyId))?.publicKeyPem : undefined)

  const written = [files.events]
  let count = 0
  // Stream exports keep the ids for the proofs; whole-log exports never hold the log in memory.
  const streamEventIds: string[] = []
  const out = createWriteStream(files.events, { encoding: 'utf8' })
  try {
    const source = options.all ? options.store.readAll() : options.store.readStream(options.stream!)
    const total = !options.all
      ? await streamLength(options.store, options.stream!)
      : options.db
        ? await estimateLogSize(options.store, options.db)
        : undefined
    for await (const event of source) {
      await writeLine(out, JSON.stringify(toExportedEvent(event)))
      count++
      options.progress?.update(count, total)
      if (!options.all) streamEventIds.push(event.eventId)
    }
  } finally {
    await close(out)
  }

  if (head) {
    await writeFile(files.head, `${JSON.stringify(head, null, 2)}\n`)
    written.push(files.head)
  }
  if (publicKeyPem) {
    await writeFile(files.publicKey, publicKeyPem)
    written.push(files.publicKey)
  }
  if (options.db) {
    const keys = await readPublicKeys(options.db)
    if (keys.length > 0) {
      await writeFile(files.keys, `${JSON.stringify({ keys }, null, 2)}\n`)
      written.push(files.keys)
    }
  }
  if (head && options.db) {
    if (options.all) await writeLeaves(options.db, files.leaves, BigInt(head.treeSize))
    else await writeProofs(options.db, files.proofs, head, streamEventIds)
    written.push(options.all ? files.leaves : files.proofs)
  }
  const what = options.all ? 'the whole log' : `stream ${options.stream}`
  const summary =
    `exported ${count} events of ${what} to ${files.events}` +
    (head ? `, with the signed head of tree size ${head.treeSize}` : ', without a signed head (none given or signed yet)')
  return { events: count, head, files: written, summary }
}

async function streamLength(store: EventStore, streamId: string): Promise<number> {
  for await (const last of store.readStream(streamId, { direction: 'backwards', maxCount: 1 })) return Number(last.revision + 1n)
  return 0
}

function signedHeadFrom(head: SignedTreeHead | undefined): SignedTreeHead | undefined {
  return head ? signedHeadOf(head) : undefined
}

async function writeLeaves(db: LedgerDb, file: string, treeSize: bigint): Promise<void> {
  const out = createWriteStream(file, { encoding: 'utf8' })
  try {
    for await (const leaf of readLeaves(db, { to: treeSize })) {
      const line: ExportedLeaf = {
        leafIndex: leaf.leafIndex.toString(),
        eventId: leaf.eventId,
        streamId: leaf.streamId,
        revision: leaf.revision.toString(),
        position: leaf.position.toString(),
        leafHash: toHex(leaf.leafHash),
      }
      await writeLine(out, JSON.stringify(line))
    }
  } finally {
    await close(out)
  }
}

async function writeProofs(db: LedgerDb, file: string, head: SignedTreeHead, eventIds: readonly string[]): Promise<void> {
  const leaves = await findLeavesByEventIds(db, eventIds)
  const out = createWriteStream(file, { encoding: 'utf8' })
  try {
    for (const eventId of eventIds) {
      const leaf = leaves.get(eventId)
      if (!leaf || leaf.leafIndex >= BigInt(head.treeSize)) continue
      const proof = await inclusionProof(db, { eventId, treeSize: head.treeSize })
      const line: ExportedProof = {
        eventId,
        leafIndex: proof.leafIndex,
        treeSize: proof.treeSize,
        leafHash: proof.leafHash,
        auditPath: proof.auditPath,
      }
      await writeLine(out, JSON.stringify(line))
    }
  } finally {
    await close(out)
  }
}

async function writeLine(out: WriteStream, line: string): Promise<void> {
  if (!out.write(`${line}\n`)) await once(out, 'drain')
}

async function close(out: WriteStream): Promise<void> {
  if (out.closed) return
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())))
}

export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'write a stream or the whole log as JSON lines, with the signed head and public key alongside',
  usage: 'export (--stream <stream id> | --all) --out <file.jsonl> [--quiet]',
  async run(args, io) {
    const parsed = parseCommandArgs('export', args, io, {
          stream: { type: 'string' },
          all: { type: 'boolean' },
          out: { type: 'string' },
          quiet: { type: 'boolean', short: 'q' },
        })
    if (typeof parsed === 'number') return parsed
    const { values } = parsed
    if ((values.stream === undefined) === !values.all || !values.out) {
      io.err(`export: give --out and exactly one of --stream or --all\nusage: pnpm cli ${exportCommand.usage}`)
      return USAGE_ERROR
    }
    const prefixes = [...new Set(contexts.map((context) => context.streamPrefix))]
    if (values.stream !== undefined && !prefixes.some((prefix) => values.stream!.startsWith(prefix))) {
      io.err(`export: ${values.stream} is no stream of this system; streams start with ${prefixes.join(', ')}`)
      return USAGE_ERROR
    }
    const config = configOrReport(io)
    if (!config) return 1
    const runtime = await openRuntime(config)
    const progress = startProgress({ label: 'export', sink: io.progress, quiet: values.quiet === true })
    try {
      const result = await exportEvents({
        store: runtime.eventStore,
        db: runtime.db,
        out: values.out,
        ...(values.all ? { all: true } : { stream: values.stream! }),
        progress,
      })
      progress.finish()
      io.out(result.summary)
      return 0
    } finally {
      progress.finish()
      await runtime.close()
    }
  },
}
