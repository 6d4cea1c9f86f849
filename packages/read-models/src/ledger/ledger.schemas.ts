import { DecimalString, Uuid } from '@pc/contracts'
import { z } from 'zod'

/**
 * HTTP shapes of the ledger endpoints (`GET /v1/ledger/head|public-key|proofs/inclusion|proofs/consistency`).
 * Sizes and indexes are decimal strings: they count events and may pass 2^53. Hashes are lowercase hex.
 *
 * @example
 * app.get('/v1/ledger/proofs/inclusion', {
 *   schema: { querystring: InclusionProofQuery, response: { 200: InclusionProofResponse } },
 * }, async (req) => inclusionProof(db, req.query))
 */

const isDecimal = (v: unknown): v is string => DecimalString.safeParse(v).success
const Hex32 = z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits (a SHA-256)')
const KeyId = z.string().regex(/^[0-9a-f]{16}$/, '16 lowercase hex digits')

/**
 * A signed tree head. Version 2: Ed25519 over the line `pc-ledger/tree-head/v2` and the RFC 8785 JSON of
 * `{ version, origin, treeSize, rootHash, timestamp }`. Heads signed before (version 1) have neither field and
 * sign the JSON of `{ treeSize, rootHash, timestamp }`.
 */
export const SignedTreeHeadResponse = z
  .object({
    version: z.literal(2).optional().describe('The signed format; absent on version 1 heads (signed before the origin was bound)'),
    origin: z
      .string()
      .regex(/^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/, '1-255 printable ASCII characters')
      .optional()
      .describe("The log's identity (LEDGER_ORIGIN), covered by the signature; version 2 only"),
    treeSize: DecimalString,
    rootHash: Hex32,
    timestamp: z.iso.datetime({ offset: true }),
    signature: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64'),
    keyId: KeyId,
  })
  .meta({ id: 'SignedTreeHead', description: 'The latest signed tree head of the ledger.' })
export type SignedTreeHeadResponse = z.infer<typeof SignedTreeHeadResponse>

export const PublicKeyQuery = z.object({
  keyId: KeyId.optional().describe('A specific key (each head names the key that signed it); default: the key of the latest head'),
})
export type PublicKeyQuery = z.infer<typeof PublicKeyQuery>

export const PublicKeyResponse = z
  .object({ keyId: KeyId, publicKeyPem: z.string().startsWith('-----BEGIN PUBLIC KEY-----') })
  .meta({ id: 'LedgerPublicKey', description: 'The Ed25519 public key (SPKI PEM) that verifies tree heads.' })
export type PublicKeyResponse = z.infer<typeof PublicKeyResponse>

export const LedgerKeyResponse = z
  .object({
    keyId: KeyId,
    publicKeyPem: z.string().startsWith('-----BEGIN PUBLIC KEY-----'),
    validFrom: z.iso.datetime({ offset: true }).describe('When it became the current signing key'),
    validUntil: z.iso
      .datetime({ offset: true })
      .nullable()
      .describe('When it was retired (cli rotate-signing-key); null for the current key. Its heads are dated no later'),
  })
  .meta({ id: 'LedgerKey', description: 'A public key that signs or signed tree heads, with its validity period.' })
export type LedgerKeyResponse = z.infer<typeof LedgerKeyResponse>

export const LedgerKeysResponse = z
  .object({ keys: z.array(LedgerKeyResponse).describe('Every key the ledger has had, oldest first') })
  .meta({ id: 'LedgerKeys' })
export type LedgerKeysResponse = z.infer<typeof LedgerKeysResponse>

export const InclusionProofQuery = z.object({
  eventId: Uuid.describe('The event to prove'),
  treeSize: DecimalString.optional().describe("The tree to prove against (its first treeSize leaves); default: the latest signed head's size"),
})
export type InclusionProofQuery = z.infer<typeof InclusionProofQuery>

export const InclusionProofResponse = z
  .object({
    leafIndex: DecimalString,
    treeSize: DecimalString,
    /** SHA-256(0x00 ‖ the 32 bytes of the event's `metadata.hash`). */
    leafHash: Hex32,
    /** RFC 6962 §2.1.1 audit path, from the leaf's sibling up. */
    auditPath: z.array(Hex32),
    /** The root of the first `treeSize` leaves; compare with a signed head of that size. */
    rootHash: Hex32,
  })
  .meta({ id: 'InclusionProof' })
export type InclusionProofResponse = z.infer<typeof InclusionProofResponse>

export const ConsistencyProofQuery = z
  .object({
    from: DecimalString.describe('Size of the earlier tree (a signed head you hold)'),
    to: DecimalString.describe('Size of the later tree'),
  })
  // Static, so a bad request (400) rather than a state the ledger is in: a tree cannot be consistent with a larger one.
  // zod runs this even when a field failed above, so it must not assume decimals.
  .refine((q) => !isDecimal(q.from) || !isDecimal(q.to) || BigInt(q.from) <= BigInt(q.to), {
    message: 'must not exceed to',
    path: ['from'],
  })
export type ConsistencyProofQuery = z.infer<typeof ConsistencyProofQuery>

export const ConsistencyProofResponse = z
  .object({
    from: DecimalString,
    to: DecimalString,
    /** RFC 6962 §2.1.2 PROOF(from, D[to]); empty when from = 0 or from = to. */
    proof: z.array(Hex32),
  })
  .meta({ id: 'ConsistencyProof' })
export type ConsistencyProofResponse = z.infer<typeof ConsistencyProofResponse>
