import type { KeyObject } from 'node:crypto'
import { access, readFile } from 'node:fs/promises'
import { ChainVerifier } from '../hash.js'
import { LEDGER_CHECKPOINT_STREAM, TREE_HEAD_SIGNED } from '../ledger-stream.js'
import { fromHex, verifyInclusion } from '../merkle.js'
import { keyIdOf, loadPublicKeyPem } from '../signing-key.js'
import { verifyTreeHead } from '../tree-head.js'
import type { SignedTreeHead } from '../tree-head.js'
import { exportFiles } from './export-files.js'
import { countLines, linesMentioning, readLineBatches } from './json-lines.js'
import { LedgerReplay, describeFinding, leafHashOfEvent } from './ledger.replay.js'
import type { HeadToCheck, ReferenceLeaf, ReplayEvent } from './ledger.replay.js'

export interface VerifyOptions {
  /** The events file. */
  in: string
  /** Signed head JSON file; default `<in>.head.json`. */
  head?: string
  /** Public key PEM file; default `<in>.pub.pem`. */
  publicKey?: string
  /**
   * Called as events are checked, with the events checked so far and the lines of the events file (an event per
   * line, so the total to expect). Often: pass a throttled reporter, not something that writes every time.
   */
  onProgress?: (events: number, total: number) => void
}

export interface VerifyResult {
  ok: boolean
  exitCode: 0 | 1
  /** One line: what was verified, or the first bad event and what is wrong with it. */
  summary: string
  /** Events checked (the last one is the bad one when `ok` is false). */
  events: number
}

class VerifyFailure extends Error {}

/**
 * Checks an export with no server and no database (DESIGN §6). All it trusts is the public key: the head is
 * checked with it, and the events, leaves and proofs against the head.
 *
 * - Whole-log export (no `.proofs.jsonl`): every hash chain; the Merkle tree rebuilt from the events in file
 *   order; the head's signature and its root against the rebuilt tree at its size; every `TreeHeadSigned` in the
 *   export's `ledger-checkpoints` stream signed by the same key, likewise; and, with `.leaves.jsonl`, each leaf
 *   against the ledger's record of it, which names the exact event where they part.
 * - Stream export (`.proofs.jsonl`): the stream's chain and every event's inclusion proof against the head.
 *
 * Never throws for bad input, only for I/O it cannot do.
 *
 * @example
 * const { exitCode, summary } = await verifyExport({ in: 'log.jsonl' })
 */
export async function verifyExport(options: VerifyOptions): Promise<VerifyResult> {
  const seen = { events: 0 }
  try {
    const summary = await verify(options, seen)
    return { ok: true, exitCode: 0, summary: `verified ${options.in}: ${summary}`, events: seen.events }
  } catch (error) {
    if (!(error instanceof VerifyFailure)) throw error
    return { ok: false, exitCode: 1, summary: `FAILED ${options.in}: ${error.message}`, events: seen.events }
  }
}

async function verify(options: VerifyOptions, seen: { events: number }): Promise<string> {
  const files = exportFiles(options.in)
  if (!(await exists(options.in))) throw new VerifyFailure(`no such file`)
  const headFile = options.head ?? ((await exists(files.head)) ? files.head : undefined)
  const keyFile = options.publicKey ?? ((await exists(files.publicKey)) ? files.publicKey : undefined)
  if (!headFile) {
    throw new VerifyFailure(
      `no signed tree head to check against (${files.head} is missing; give --head <head.json> --public-key <pem>)`,
    )
  }
  if (!keyFile) throw new VerifyFailure(`no public key to check the head with (give --public-key <pem>)`)
  const publicKey = await readPublicKey(keyFile)
  const head = await readHead(headFile)
  const check = verifyTreeHead(head, publicKey)
  if (!check.ok) throw new VerifyFailure(`signed head ${headFile}: ${check.detail}`)

  const progress = (events: number, total: number) => {
    seen.events = events
    options.onProgress?.(events, total)
  }
  return (await exists(files.proofs))
    ? verifyStream(options.in, files.proofs, head, progress)
    : verifyWholeLog(
        options.in,
        (await exists(files.leaves)) ? files.leaves : undefined,
        { head, source: `head file ${headFile}` },
        publicKey,
        progress,
      )
}

type Progress = (events: number, total: number) => void

async function verifyWholeLog(
  file: string,
  leavesFile: string | undefined,
  given: HeadToCheck,
  publicKey: KeyObject,
  progress: Progress,
): Promise<string> {
  const keyId = keyIdOf(publicKey)
  // First pass: the heads the log itself carries, so the replay knows every size to stop and compare at.
  // Only lines that can hold a TreeHeadSigned are parsed here: its type is either written out or \u-escaped. A
  // malformed line is reported by the second pass, which parses every line.
  const embedded: HeadToCheck[] = []
  const counted = { lines: 0 }
  for await (const { text, line } of linesMentioning(file, TREE_HEAD_SIGNED, counted)) {
    if (text.trim() === '') continue
    const event = eventOfLine(text, file, line)
    if (event.streamId === LEDGER_CHECKPOINT_STREAM && event.type === TREE_HEAD_SIGNED) {
      const head = event.data as unknown as SignedTreeHead
      embedded.push({ head, source: `${LEDGER_CHECKPOINT_STREAM}@${event.revision}, line ${line}` })
    }
  }
  const replay = new LedgerReplay({
    heads: [given, ...embedded],
    keys: new Map([[keyId, publicKey]]),
    requireKnownKey: (h) => h === given,
    ...(leavesFile ? { reference: readReference(leavesFile) } : {}),
  })
  let events = 0
  for await (const { lines, first } of readLineBatches(file)) {
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]!
      if (text.trim() === '') continue
      events++
      await replay.add(eventOfLine(text, file, first + i))
    }
    progress(events, counted.lines)
  }
  const result = await replay.finish()
  if (!result.ok) {
    const [first] = result.findings
    const more = result.findingCount > 1 ? ` (${result.findingCount - 1} more problem${result.findingCount > 2 ? 's' : ''} after it)` : ''
    throw new VerifyFailure(`${describeFinding(first!)}${more}`)
  }
  const covered = BigInt(given.head.treeSize)
  const others = result.verifiedHeads.length - 1
  return (
    `${result.events} events in ${result.streams} streams, hash chains intact; Merkle tree of ${result.leaves} leaves rebuilt; ` +
    `signed head of tree size ${given.head.treeSize} (key ${given.head.keyId}) matches root ${given.head.rootHash.slice(0, 16)}…` +
    (others > 0 ? `; ${others} more signed head${others > 1 ? 's' : ''} in ${LEDGER_CHECKPOINT_STREAM} match` : '') +
    (result.compared > 0n ? `; ${result.compared} leaves match the ledger's record` : '') +
    (result.skippedHeads.length > 0 ? `; ${result.skippedHeads.length} heads by other keys not checked` : '') +
    (result.leaves > covered ? `; ${result.leaves - covered} events are newer than the head` : '')
  )
}

async function verifyStream(file: string, proofsFile: string, head: SignedTreeHead, progress: Progress): Promise<string> {
  const proofs = new Map<string, { leafIndex: bigint; auditPath: string[]; line: number }>()
  for await (const { value, line } of readJsonLines(proofsFile)) {
    const p = value as Record<string, unknown>
    if (typeof p.eventId !== 'string' || !isDecimal(p.leafIndex) || !isDecimal(p.treeSize) || !isStringArray(p.auditPath)) {
      throw new VerifyFailure(`${proofsFile} line ${line}: not an inclusion proof`)
    }
    if (p.treeSize !== head.treeSize) {
      throw new VerifyFailure(`${proofsFile} line ${line}: proof for tree size ${p.treeSize}, but the head is of size ${head.treeSize}`)
    }
    proofs.set(p.eventId, { leafIndex: BigInt(p.leafIndex), auditPath: p.auditPath, line })
  }
  const total = await countLines(file)
  const chains = new ChainVerifier()
  const treeSize = BigInt(head.treeSize)
  let events = 0
  let proven = 0
  let unproven: { event: ReplayEvent; line: number } | undefined
  const seen = new Set<string>()
  for await (const { event, line } of readEvents(file)) {
    progress(++events, total)
    seen.add(event.eventId)
    const failure = chains.check(event)
    if (failure) throw new VerifyFailure(`line ${line}: event ${failure.eventId} (${failure.streamId}@${failure.revision}): ${failure.problem}: ${failure.detail.replace(/^.*?\): /, '')}`)
    const proof = proofs.get(event.eventId)
    if (!proof) {
      unproven ??= { event, line }
      continue
    }
    if (unproven) {
      // The ledger had later events of this stream, so this one would have had a leaf too: it is not in the tree.
      throw new VerifyFailure(
        `line ${unproven.line}: event ${unproven.event.eventId} (${unproven.event.streamId}@${unproven.event.revision}) is not in the signed tree, ` +
          `though later events of its stream are: it was inserted afterwards`,
      )
    }
    const included = verifyInclusion({
      leafIndex: proof.leafIndex,
      treeSize,
      // The chain check above has made sure it is 64 lowercase hex.
      leafHash: leafHashOfEvent(event.metadata.hash as string),
      auditPath: proof.auditPath,
      rootHash: fromHex(head.rootHash),
    })
    if (!included) {
      throw new VerifyFailure(
        `line ${line}: event ${event.eventId} (${event.streamId}@${event.revision}) is not leaf ${proof.leafIndex} of the signed tree ` +
          `of size ${head.treeSize}: its hash is not what the ledger recorded`,
      )
    }
    proven++
  }
  const missing = [...proofs].filter(([eventId]) => !seen.has(eventId)).sort((a, b) => (a[1].leafIndex < b[1].leafIndex ? -1 : 1))[0]
  if (missing) {
    throw new VerifyFailure(`event ${missing[0]} is leaf ${missing[1].leafIndex} of the signed tree but missing from the export: it was deleted`)
  }
  return (
    `${events} events, hash chain intact; ${proven} proven included in the signed tree of size ${head.treeSize} ` +
    `(key ${head.keyId}, root ${head.rootHash.slice(0, 16)}…)` +
    (events > proven ? `; ${events - proven} events are newer than the head` : '')
  )
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  )
}

async function readPublicKey(file: string): Promise<KeyObject> {
  try {
    return loadPublicKeyPem(await readFile(file, 'utf8'))
  } catch (error) {
    throw new VerifyFailure(`public key ${file}: ${(error as Error).message}`)
  }
}

async function readHead(file: string): Promise<SignedTreeHead> {
  let head: unknown
  try {
    head = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    throw new VerifyFailure(`signed head ${file}: ${(error as Error).message}`)
  }
  if (head === null || typeof head !== 'object' || Array.isArray(head)) throw new VerifyFailure(`signed head ${file}: not a JSON object`)
  return head as SignedTreeHead
}

function parseJsonLine(text: string, file: string, line: number): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new VerifyFailure(`${file} line ${line}: not JSON (${(error as Error).message})`)
  }
}

async function* readJsonLines(file: string): AsyncGenerator<{ value: unknown; line: number }> {
  for await (const { lines, first } of readLineBatches(file)) {
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]!
      if (text.trim() === '') continue
      yield { value: parseJsonLine(text, file, first + i), line: first + i }
    }
  }
}

async function* readEvents(file: string): AsyncGenerator<{ event: ReplayEvent; line: number }> {
  for await (const { value, line } of readJsonLines(file)) yield { event: parseEvent(value, file, line), line }
}

/** One exported event from its line of text; a failure names the file and line. */
function eventOfLine(text: string, file: string, line: number): ReplayEvent {
  return parseEvent(parseJsonLine(text, file, line), file, line)
}

function notAnEvent(file: string, line: number, what: string): VerifyFailure {
  return new VerifyFailure(`${file} line ${line}: not an exported event (${what})`)
}

function parseEvent(value: unknown, file: string, line: number): ReplayEvent {
  const e = value as Record<string, unknown>
  if (e === null || typeof e !== 'object' || Array.isArray(e)) throw notAnEvent(file, line, 'not an object')
  if (typeof e.eventId !== 'string' || typeof e.streamId !== 'string' || typeof e.type !== 'string') throw notAnEvent(file, line, 'eventId, streamId or type')
  if (!isDecimal(e.revision) || !isDecimal(e.position)) throw notAnEvent(file, line, 'revision or position is not a decimal string')
  if (typeof e.schemaVersion !== 'number' || !Number.isInteger(e.schemaVersion)) throw notAnEvent(file, line, 'schemaVersion')
  if (e.metadata === null || typeof e.metadata !== 'object' || Array.isArray(e.metadata)) throw notAnEvent(file, line, 'metadata')
  return {
    eventId: e.eventId,
    streamId: e.streamId,
    revision: BigInt(e.revision),
    position: BigInt(e.position),
    type: e.type,
    schemaVersion: e.schemaVersion,
    data: e.data,
    metadata: e.metadata as Record<string, unknown>,
  }
}

async function* readReference(file: string): AsyncGenerator<ReferenceLeaf> {
  for await (const { value, line } of readJsonLines(file)) {
    const l = value as Record<string, unknown>
    if (
      typeof l.eventId !== 'string' ||
      typeof l.streamId !== 'string' ||
      !isDecimal(l.leafIndex) ||
      !isDecimal(l.revision) ||
      !isDecimal(l.position) ||
      typeof l.leafHash !== 'string' ||
      !/^[0-9a-f]{64}$/.test(l.leafHash)
    ) {
      throw new VerifyFailure(`${file} line ${line}: not a leaf record`)
    }
    yield {
      leafIndex: BigInt(l.leafIndex),
      eventId: l.eventId,
      streamId: l.streamId,
      revision: BigInt(l.revision),
      position: BigInt(l.position),
      leafHash: fromHex(l.leafHash),
    }
  }
}

function isDecimal(v: unknown): v is string {
  return typeof v === 'string' && /^(0|[1-9][0-9]*)$/.test(v)
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string')
}
