import type { KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { EventStore } from '@pc/event-store'
import { openRuntime } from '@pc/platform'
import { loadProjectorConfig } from '@pc/projector'
import {
  LEDGER_CHECKPOINT_STREAM,
  LedgerReplay,
  TREE_HEAD_SIGNED,
  describeFinding,
  keyIdOf,
  loadPublicKeyPem,
  toHex,
  treeRoot,
  type Finding,
  type HeadToCheck,
  type SignedTreeHead,
} from '@pc/ledger'
import {
  ledgerSubtreeSource,
  ledgerTreeSize,
  readHeads,
  readLeaves,
  readPublicKeys,
  signedHeadOf,
  type LedgerDb,
} from '@pc/read-models/ledger'
import { startProgress, type Progress } from '../progress/progress.js'
import { type CliCommand, configOrReport, orReport, parseCommandArgs, printResult } from './command.js'

/**
 * `cli audit`: the live store against the ledger. Re-reads every event in delivery order, re-checks every hash
 * chain, rebuilds the Merkle tree, and compares it with the ledger projection's stored leaves (leaf by leaf), with
 * EVERY signed head (from `ledger_heads` and from the `ledger-checkpoints` stream, each with the key it names, inside
 * that key's period and as a head of `LEDGER_ORIGIN`) and with the stored tree nodes.
 * Reports the first divergence, naming the event — which catches a database administrator who edits, deletes,
 * reorders or inserts rows with the immutability triggers disabled.
 */

export interface AuditOptions {
  store: EventStore
  db: LedgerDb
  /**
   * Public keys to trust (SPKI PEM). Default: every key recorded in `ledger_keys` — convenient, but those are in
   * the database being audited; pass the key you got from the committee or the deployment to rule that out.
   */
  publicKeyPems?: readonly string[]
  /** `LEDGER_ORIGIN`: the log every version 2 head must belong to. Unset: heads of any origin pass. */
  origin?: string
  /** Told as events are replayed. */
  progress?: Progress
}

export interface AuditResult {
  ok: boolean
  exitCode: 0 | 1
  summary: string
  findings: Finding[]
}

/**
 * Audits the store against the ledger.
 *
 * @example
 * const { exitCode, summary } = await auditStore({ store: runtime.eventStore, db: runtime.db })
 */
export async function auditStore(options: AuditOptions): Promise<AuditResult> {
  const { store, db } = options
  const trusted = options.publicKeyPems !== undefined
  const recorded = await readPublicKeys(db)
  const pems = trusted ? [...options.publicKeyPems!] : recorded.map((k) => k.publicKeyPem)
  // Old heads are checked with old keys, each inside its period. The periods come from the database even for keys
  // given: they can only add findings (a head dated after its key was retired), never excuse one.
  const retiredAt = new Map(recorded.map((k) => [k.keyId, k.validUntil]))
  const keys = new Map<string, KeyObject>()
  for (const pem of pems) {
    const key = loadPublicKeyPem(pem)
    keys.set(keyIdOf(key), key)
  }

  // Heads before the size: every head read then covers leaves the size includes (a head commits with its leaves).
  const heads: HeadToCheck[] = (await readHeads(db)).map((h) => ({ head: signedHeadOf(h), source: 'ledger_heads' }))
  let checkpointEvents = 0
  for await (const event of store.readStream(LEDGER_CHECKPOINT_STREAM)) {
    checkpointEvents++
    if (event.type !== TREE_HEAD_SIGNED) continue
    heads.push({ head: event.data as unknown as SignedTreeHead, source: `${LEDGER_CHECKPOINT_STREAM}@${event.revision}` })
  }
  const ledgerSize = await ledgerTreeSize(db)

  const replay = new LedgerReplay({
    heads,
    keys,
    // With keys given, a head signed by any other key is a forgery; with the database's keys, every head names one.
    requireKnownKey: () => true,
    retiredAt,
    ...(options.origin === undefined ? {} : { origin: options.origin }),
    reference: readLeaves(db, { to: ledgerSize }),
  })
  // The log is the ledger's leaves and the heads' stream, but for what the projector has not applied yet.
  const total = Number(ledgerSize) + checkpointEvents
  let events = 0
  for await (const event of store.readAll()) {
    await replay.add(event)
    options.progress?.update(++events, total)
  }
  const result = await replay.finish()

  const findings = [...result.findings]
  let findingCount = result.findingCount
  // Proofs are served from the stored nodes, not the leaves: they must fold to the same root.
  const storedRoot = await treeRoot(ledgerSubtreeSource(db), ledgerSize).then(toHex, () => 'missing nodes')
  if (storedRoot !== result.referenceRoot) {
    findings.push({ kind: 'stored_nodes', treeSize: ledgerSize, storedRoot, leavesRoot: result.referenceRoot })
    findingCount++
  }

  if (findingCount > 0) {
    const more = findingCount > 1 ? ` (${findingCount - 1} more problem${findingCount > 2 ? 's' : ''} after it)` : ''
    return { ok: false, exitCode: 1, summary: `audit FAILED: ${describeFinding(findings[0]!)}${more}`, findings }
  }
  const latest = result.verifiedHeads.at(-1)
  const behind = result.leaves - result.compared
  return {
    ok: true,
    exitCode: 0,
    findings,
    summary:
      `audit ok: ${result.events} events in ${result.streams} streams, hash chains intact; ` +
      `${result.leaves} leaves rebuilt, ${result.compared} match the ledger's stored leaves and nodes; ` +
      `${result.verifiedHeads.length} signed heads verified` +
      (latest ? ` (latest: tree size ${latest.head.treeSize}, root ${latest.head.rootHash.slice(0, 16)}…)` : '') +
      ` with ${keys.size} key${keys.size === 1 ? '' : 's'}` +
      (options.origin === undefined ? '' : ` as the log "${options.origin}"`) +
      (trusted ? '' : ' with the keys recorded in the database') +
      (behind > 0n ? `; ${behind} events not yet in the ledger` : ''),
  }
}

export const auditCommand: CliCommand = {
  name: 'audit',
  summary: 'check the live store against the ledger: chains, tree, every signed head; report the first divergence',
  usage: 'audit [--public-key <public-key.pem>]… [--quiet]',
  async run(args, io) {
    const parsed = parseCommandArgs('audit', args, io, { 'public-key': { type: 'string', multiple: true }, quiet: { type: 'boolean', short: 'q' } })
    if (typeof parsed === 'number') return parsed
    const { values } = parsed
    const config = configOrReport(io)
    if (!config) return 1
    const origin = orReport(io, () => loadProjectorConfig(io.env).ledgerOrigin)
    if (origin === undefined) return 1
    const publicKeyPems = values['public-key'] ? await Promise.all(values['public-key'].map((f) => readFile(f, 'utf8'))) : undefined
    const runtime = await openRuntime(config)
    const progress = startProgress({ label: 'audit', sink: io.progress, quiet: values.quiet === true })
    try {
      const result = await auditStore({
        store: runtime.eventStore,
        db: runtime.db,
        progress,
        origin,
        ...(publicKeyPems && { publicKeyPems }),
      })
      progress.finish()
      return printResult(io, result)
    } finally {
      progress.finish()
      await runtime.close()
    }
  },
}
