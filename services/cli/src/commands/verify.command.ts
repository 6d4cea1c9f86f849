import type { KeyObject } from 'node:crypto'
import { isAscii } from 'node:buffer'
import { createReadStream } from 'node:fs'
import { access, readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import {
  ChainVerifier,
  fromHex,
  keyIdOf,
  loadPublicKeyPem,
  verifyInclusion,
  verifyTreeHead,
  type SignedTreeHead,
} from '@pc/ledger'
import {
  LEDGER_CHECKPOINT_STREAM,
  LedgerReplay,
  TREE_HEAD_SIGNED,
  describeFinding,
  leafHashOfEvent,
  type HeadToCheck,
  type ReferenceLeaf,
  type ReplayEvent,
} from '@pc/read-models/ledger'
import { USAGE_ERROR, type CliCommand } from './command.js'
import { exportFiles } from './export.command.js'

/**
 * `cli verify`: checks an export with no server (DESIGN §6). Everything it trusts is the public key: the head is
 * checked with it, and the events, leaves and proofs are checked against the head.
 *
 * - Whole-log export (no `.proofs.jsonl`): every hash chain; the Merkle tree rebuilt from the events in file
 *   order; the head's signature and its root against the rebuilt tree at its size; every `TreeHeadSigned` in
 *   the export's `ledger-checkpoints` stream signed by the same key, likewise; and, with `.leaves.jsonl`, each
 *   leaf against the ledger's record of it, which names the exact event where they part.
 * - Stream export (`.proofs.jsonl`): the stream's chain and every event's inclusion proof against the head.
 */

export interface VerifyOptions {
  /** The events file (`--in`). */
  in: string
  /** Signed head JSON file; default `<in>.head.json`. */
  head?: string
  /** Public key PEM file; default `<in>.pub.pem`. */
  publicKey?: string
}

export interface VerifyResult {
  ok: boolean
  exitCode: 0 | 1
  /** One line: what was verified, or the first bad event and what is wrong with it. */
  summary: string
}

class VerifyFailure extends Error {}

/**
 * Verifies an export; never throws for bad input, only for I/O it cannot do.
 *
 * @example
 * const { exitCode, summary } = await verifyExport({ in: 'log.jsonl' })
 */
export async function verifyExport(options: VerifyOptions): Promise<VerifyResult> {
  try {
    const summary = await verify(options)
    return { ok: true, exitCode: 0, summary: `verified ${options.in}: ${summary}` }
  } catch (error) {
    if (!(error instanceof VerifyFailure)) throw error
    return { ok: false, exitCode: 1, summary: `FAILED ${options.in}: ${error.message}` }
  }
}

async function verify(options: VerifyOptions): Promise<string> {
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

  return (await exists(files.proofs))
    ? verifyStream(options.in, files.proofs, head)
    : verifyWholeLog(options.in, (await exists(files.leaves)) ? files.leaves : undefined, { head, source: `head file ${headFile}` }, publicKey)
}

async function verifyWholeLog(file: string, leavesFile: string | undefined, given: HeadToCheck, publicKey: KeyObject): Promise<string> {
  const keyId = keyIdOf(publicKey)
  // First pass: the heads the log itself carries, so the replay knows every size to stop and compare at.
  // Only lines that can hold a TreeHeadSigned are parsed here: its type is either written out or \u-escaped. A
  // malformed line is reported by the second pass, which parses every line.
  const embedded: HeadToCheck[] = []
  for await (const { text, line } of linesMentioning(file, TREE_HEAD_SIGNED)) {
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
  for await (const { lines, first } of readLineBatches(file)) {
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]!
      if (text.trim() === '') continue
      await replay.add(eventOfLine(text, file, first + i))
    }
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

async function verifyStream(file: string, proofsFile: string, head: SignedTreeHead): Promise<string> {
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
  const chains = new ChainVerifier()
  const treeSize = BigInt(head.treeSize)
  let events = 0
  let proven = 0
  let unproven: { event: ReplayEvent; line: number } | undefined
  const seen = new Set<string>()
  for await (const { event, line } of readEvents(file)) {
    events++
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

// ---------------------------------------------------------------------------------------------------------
// Reading the files

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

const CHUNK_BYTES = 1 << 22

/**
 * The file in runs of whole lines: each region ends just before a newline (or at the end of the file) and the
 * next one starts just after it. Read in large chunks, because a readline event per line of a 200,000-event
 * export is a good part of what `verify` costs.
 */
async function* lineRegions(file: string): AsyncGenerator<Buffer> {
  // The start of a line that runs on into the next chunk.
  let pending: Buffer[] = []
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES })) {
    const bytes = chunk as Buffer
    const end = bytes.lastIndexOf(0x0a)
    if (end < 0) {
      pending.push(bytes)
      continue
    }
    if (pending.length === 0) yield bytes.subarray(0, end)
    else {
      // Only the line that straddles the chunks is copied.
      const cut = bytes.indexOf(0x0a)
      yield Buffer.concat([...pending, bytes.subarray(0, cut)])
      if (cut < end) yield bytes.subarray(cut + 1, end)
    }
    pending = end + 1 < bytes.length ? [bytes.subarray(end + 1)] : []
  }
  if (pending.length > 0) yield Buffer.concat(pending)
}

/**
 * The lines of a file in batches, `first` being the number of `lines[0]` (from 1). Lines end as readline ends
 * them with crlfDelay Infinity: at \n, \r\n or a lone \r.
 */
async function* readLineBatches(file: string): AsyncGenerator<{ lines: string[]; first: number }> {
  let next = 1
  for await (const region of lineRegions(file)) {
    const lines = splitLines(decode(region))
    yield { lines, first: next }
    next += lines.length
  }
}

/**
 * The lines that contain `needle` or a \u escape (which could spell it), numbered as `readLineBatches` numbers
 * them; the others are counted, not decoded.
 */
async function* linesMentioning(file: string, needle: string): AsyncGenerator<{ text: string; line: number }> {
  const bytes = Buffer.from(needle)
  let next = 1
  for await (const region of lineRegions(file)) {
    if (region.indexOf(bytes) < 0 && region.indexOf('\\u') < 0 && region.indexOf(0x0d) < 0) {
      next += countNewlines(region) + 1
      continue
    }
    const lines = splitLines(decode(region))
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]!
      if (text.includes(needle) || text.includes('\\u')) yield { text, line: next + i }
    }
    next += lines.length
  }
}

function countNewlines(bytes: Buffer): number {
  let count = 0
  for (let at = bytes.indexOf(0x0a); at >= 0; at = bytes.indexOf(0x0a, at + 1)) count++
  return count
}

/** UTF-8 text of bytes that end at a line break (a newline byte is never inside a multi-byte character). */
function decode(bytes: Buffer): string {
  // Exports are mostly ASCII, where Latin-1 decoding gives the same string and is a plain copy.
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8')
}

function splitLines(text: string): string[] {
  const lines = text.split('\n')
  if (!text.includes('\r')) return lines
  return lines.flatMap((l) => (l.includes('\r') ? (l.endsWith('\r') ? l.slice(0, -1) : l).split('\r') : [l]))
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

/** `pnpm cli verify --in <file.jsonl> [--head <head.json> --public-key <pem>]` */
export const verifyCommand: CliCommand = {
  name: 'verify',
  summary: 'check an export offline: hash chains, the Merkle tree, the signed head and proofs',
  usage: 'verify --in <file.jsonl> [--head <head.json>] [--public-key <public-key.pem>]',
  async run(args, io) {
    let values
    try {
      ;({ values } = parseArgs({
        args,
        options: { in: { type: 'string' }, head: { type: 'string' }, 'public-key': { type: 'string' } },
        strict: true,
        allowPositionals: false,
      }))
    } catch (error) {
      io.err(`verify: ${(error as Error).message}`)
      return USAGE_ERROR
    }
    if (!values.in) {
      io.err(`verify: --in is required\nusage: pnpm cli ${verifyCommand.usage}`)
      return USAGE_ERROR
    }
    const result = await verifyExport({
      in: values.in,
      ...(values.head !== undefined && { head: values.head }),
      ...(values['public-key'] !== undefined && { publicKey: values['public-key'] }),
    })
    if (result.ok) io.out(result.summary)
    else io.err(result.summary)
    return result.exitCode
  },
}
