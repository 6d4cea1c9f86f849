import { sign, verify, type KeyObject } from 'node:crypto'
import { canonicalJson } from './canonical-json.js'
import { keyIdOf } from './signing-key.js'
import { toHex, type Hash } from './merkle.js'

/**
 * Signed tree heads (DESIGN §6): the ledger's periodic public commitment "the first `treeSize` events of the log
 * `origin` have root `rootHash`". `version` decides which bytes the Ed25519 signature covers:
 *
 * - **2** (every head signed since issue 16): the UTF-8 bytes of the line `pc-ledger/tree-head/v2` followed by the
 *   RFC 8785 canonical JSON of `{ version, origin, treeSize, rootHash, timestamp }`. The origin names the deployment
 *   (`LEDGER_ORIGIN`), so a head of another deployment signed with the same key is not one of ours; the leading line
 *   is not JSON, so no other JSON object the key might sign (a version 1 head included) reads as a version 2 head.
 * - **1** (heads signed before; `version` absent): the canonical JSON of exactly `{ treeSize, rootHash, timestamp }`.
 *   Still verifiable, but it binds no origin: verifiers report it as a legacy head.
 *
 * `signature` and `keyId` ride alongside, unsigned (a wrong keyId is still caught: verification checks it names the
 * key given).
 */
export interface TreeHead {
  /** The signed format: 2, or absent for version 1 (legacy). */
  version?: TreeHeadVersion
  /** The log this head belongs to (version 2 only). */
  origin?: string
  /** Number of leaves, as a decimal string (a bigint in JSON). */
  treeSize: string
  /** Lowercase hex root hash. */
  rootHash: string
  /** ISO 8601 time the head was made. */
  timestamp: string
}

export type TreeHeadVersion = 1 | 2

export interface SignedTreeHead extends TreeHead {
  /** Base64 Ed25519 signature. */
  signature: string
  /** `keyIdOf` the signing key. */
  keyId: string
}

/** The format `treeHead` makes. */
export const TREE_HEAD_VERSION = 2

/** The origin of a deployment that does not set `LEDGER_ORIGIN`. */
export const DEFAULT_LEDGER_ORIGIN = 'property-cases'

/** The first line of what a version 2 head signs: what the bytes are, before anything a caller chose. */
const V2_CONTEXT = 'pc-ledger/tree-head/v2\n'

const TREE_SIZE_RE = /^(?:0|[1-9][0-9]*)$/
const ROOT_RE = /^[0-9a-f]{64}$/
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/
// Printable ASCII, no space at either end, at most 255 characters: it goes into a line of its own and into logs.
const ORIGIN_RE = /^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/

/**
 * Is `origin` usable as a log identity: 1-255 printable ASCII characters, no space at either end.
 *
 * @example
 * isLedgerOrigin('cases.example-estate.cn') // true
 */
export function isLedgerOrigin(origin: unknown): origin is string {
  return typeof origin === 'string' && ORIGIN_RE.test(origin)
}

/** The version a (well-formed) head was signed in. */
export function treeHeadVersion(head: TreeHead): TreeHeadVersion {
  return head.version === 2 ? 2 : 1
}

/** Why a head is malformed, or undefined when it is well-formed. */
function headProblem(head: unknown): string | undefined {
  if (head === null || typeof head !== 'object' || Array.isArray(head)) return 'not an object'
  const { version, origin, treeSize, rootHash, timestamp } = head as Record<string, unknown>
  if (version !== undefined && version !== 1 && version !== 2) return `version ${String(version)} is not a known head format`
  if (version === 2 && !isLedgerOrigin(origin)) return `origin ${String(origin)} is not 1-255 printable ASCII characters`
  // A version 1 signature does not cover an origin: one beside it would claim what nothing proves.
  if (version !== 2 && origin !== undefined) return 'a version 1 head has no origin (its signature would not cover it)'
  if (typeof treeSize !== 'string' || !TREE_SIZE_RE.test(treeSize)) return `treeSize ${String(treeSize)} is not a decimal string`
  if (typeof rootHash !== 'string' || !ROOT_RE.test(rootHash)) return `rootHash ${String(rootHash)} is not 64 lowercase hex`
  if (typeof timestamp !== 'string' || !ISO_RE.test(timestamp) || Number.isNaN(Date.parse(timestamp))) {
    return `timestamp ${String(timestamp)} is not an ISO 8601 time`
  }
  return undefined
}

/**
 * Builds a (version 2) head of the log `origin` from tree values.
 *
 * @example
 * const head = treeHead(frontier.size, frontierRoot(frontier), new Date(), 'cases.example-estate.cn')
 */
export function treeHead(
  treeSize: bigint,
  rootHash: Hash | string,
  timestamp: Date | string,
  origin: string = DEFAULT_LEDGER_ORIGIN,
): TreeHead {
  const head: TreeHead = {
    version: TREE_HEAD_VERSION,
    origin,
    treeSize: treeSize.toString(),
    rootHash: typeof rootHash === 'string' ? rootHash : toHex(rootHash),
    timestamp: typeof timestamp === 'string' ? timestamp : timestamp.toISOString(),
  }
  const problem = headProblem(head)
  if (problem) throw new TypeError(`treeHead: ${problem}`)
  return head
}

/** The signed fields of a head, exactly, in its format (extra properties dropped). */
function signedFields(head: TreeHead): TreeHead {
  const { treeSize, rootHash, timestamp } = head
  return treeHeadVersion(head) === 2
    ? { version: 2, origin: head.origin!, treeSize, rootHash, timestamp }
    : { treeSize, rootHash, timestamp }
}

/** The bytes a head's signature covers (see `TreeHead` for each version's). */
export function treeHeadSigningInput(head: TreeHead): Buffer {
  const { version, origin, treeSize, rootHash, timestamp } = head
  if (treeHeadVersion(head) === 1) return Buffer.from(canonicalJson({ treeSize, rootHash, timestamp }), 'utf8')
  return Buffer.from(V2_CONTEXT + canonicalJson({ version: version!, origin: origin!, treeSize, rootHash, timestamp }), 'utf8')
}

/**
 * Signs a head with an Ed25519 private key, in the head's format (`treeHead` makes version 2 heads). Extra
 * properties of `head` are dropped.
 *
 * @example
 * const signed = signTreeHead(treeHead(size, root, new Date(), origin), privateKey)
 */
export function signTreeHead(head: TreeHead, privateKey: KeyObject, keyId: string = keyIdOf(privateKey)): SignedTreeHead {
  const problem = headProblem(head)
  if (problem) throw new TypeError(`signTreeHead: ${problem}`)
  if (privateKey.asymmetricKeyType !== 'ed25519' || privateKey.type !== 'private') {
    throw new TypeError('signTreeHead: an Ed25519 private key is required')
  }
  const fields = signedFields(head)
  const signature = sign(null, treeHeadSigningInput(fields), privateKey).toString('base64')
  return { ...fields, signature, keyId }
}

export type TreeHeadCheck =
  | { ok: true }
  | {
      ok: false
      /**
       * `malformed`: fields fail their formats; `key_mismatch`: keyId names another key; `bad_signature`: forged or
       * altered; `wrong_origin`: a well-signed head of another log.
       */
      problem: 'malformed' | 'key_mismatch' | 'bad_signature' | 'wrong_origin'
      detail: string
    }

export interface VerifyTreeHeadOptions {
  /** The log the head must belong to. A version 1 head names none and passes (callers report it as legacy). */
  origin?: string
}

/**
 * Checks a signed head against a public key (and, given one, the log it must belong to). Never throws for a bad
 * head (it may come from a file); throws TypeError only if `publicKey` is not an Ed25519 public key.
 *
 * @example
 * const check = verifyTreeHead(signed, loadPublicKeyPem(pem), { origin: 'cases.example-estate.cn' })
 * if (!check.ok) fail(check.detail)
 */
export function verifyTreeHead(signed: SignedTreeHead, publicKey: KeyObject, options: VerifyTreeHeadOptions = {}): TreeHeadCheck {
  if (publicKey.asymmetricKeyType !== 'ed25519' || publicKey.type !== 'public') {
    throw new TypeError('verifyTreeHead: an Ed25519 public key is required')
  }
  const problem = headProblem(signed)
  if (problem) return { ok: false, problem: 'malformed', detail: problem }
  const { signature, keyId } = signed
  if (typeof signature !== 'string' || !BASE64_RE.test(signature) || signature.length % 4 !== 0) {
    return { ok: false, problem: 'malformed', detail: 'signature is not base64' }
  }
  const expectedKeyId = keyIdOf(publicKey)
  if (keyId !== expectedKeyId) {
    return { ok: false, problem: 'key_mismatch', detail: `head was signed by key ${String(keyId)}, not ${expectedKeyId}` }
  }
  const valid = verify(null, treeHeadSigningInput(signed), publicKey, Buffer.from(signature, 'base64'))
  if (!valid) return { ok: false, problem: 'bad_signature', detail: 'signature does not match the head' }
  // After the signature: a forged head is called forged, not "of another log".
  if (options.origin !== undefined && treeHeadVersion(signed) === 2 && signed.origin !== options.origin) {
    return { ok: false, problem: 'wrong_origin', detail: `head belongs to the log "${signed.origin}", not "${options.origin}"` }
  }
  return { ok: true }
}
