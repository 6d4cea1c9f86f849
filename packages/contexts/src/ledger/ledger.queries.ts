import { problemResponses } from '@pc/contracts'
import { requireRoles } from '@pc/platform'
import {
  ConsistencyProofQuery,
  ConsistencyProofResponse,
  InclusionProofQuery,
  InclusionProofResponse,
  LedgerKeysResponse,
  PublicKeyQuery,
  PublicKeyResponse,
  SignedTreeHeadResponse,
  LEDGER_PROJECTION,
  consistencyProof,
  inclusionProof,
  ledgerHead,
  ledgerKeys,
  ledgerPublicKey,
} from '@pc/read-models/ledger'
import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { QueryDeps } from '../kit/query-deps.js'
import { readAt, WaitForQuery } from '../kit/read-your-writes.js'

/**
 * The ledger (DESIGN §6): what an owners' committee or an auditor needs to check, with their own tools, that the
 * record was not altered — the latest signed tree head, the key that signs heads, and RFC 6962 inclusion and
 * consistency proofs. Everything here is public-key verifiable, so nothing personal is in it; reading it is still
 * limited to the roles whose job it is (issue 7).
 *
 * - `GET /v1/ledger/head` → the latest signed tree head
 * - `GET /v1/ledger/public-key[?keyId=]` → `{ keyId, publicKeyPem }` (SPKI)
 * - `GET /v1/ledger/keys` → `{ keys: [{ keyId, publicKeyPem, validFrom, validUntil }] }`: every key, old ones too
 * - `GET /v1/ledger/proofs/inclusion?eventId=&treeSize=` → `{ leafIndex, treeSize, leafHash, auditPath, rootHash }`
 * - `GET /v1/ledger/proofs/consistency?from=&to=` → `{ from, to, proof }`
 *
 * Sizes beyond the ledger's tree (or an event past the tree asked about) are 422 `RULE_VIOLATED` naming the
 * parameter: the request is well formed, the tree is not that big yet. Every route takes `waitFor` (an event's
 * position: wait until the ledger projection has made it a leaf) and answers with `X-Projection-Position`.
 */
export const ledgerRoutes: FastifyPluginAsyncZod<QueryDeps> = async (app, deps) => {
  const db = deps.db
  const readers = requireRoles('committee', 'auditor', 'manager')
  const tags = ['ledger']
  const ledgerAt = (reply: FastifyReply, waitFor: string | undefined) =>
    readAt(deps, reply, { projections: [LEDGER_PROJECTION], waitFor })

  app.get(
    '/ledger/head',
    {
      preValidation: readers,
      schema: {
        tags,
        operationId: 'getLedgerHead',
        summary: 'The latest signed tree head',
        querystring: WaitForQuery,
        // 404 until the ledger has signed its first head.
        response: { 200: SignedTreeHeadResponse, ...problemResponses([404]) },
      },
    },
    async (request, reply) => {
      await ledgerAt(reply, request.query.waitFor)
      return ledgerHead(db)
    },
  )

  app.get(
    '/ledger/public-key',
    {
      preValidation: readers,
      schema: {
        tags,
        operationId: 'getLedgerPublicKey',
        summary: 'The Ed25519 public key (SPKI PEM) that verifies tree heads',
        querystring: PublicKeyQuery.extend(WaitForQuery.shape),
        response: { 200: PublicKeyResponse, ...problemResponses([404]) },
      },
    },
    async (request, reply) => {
      const { waitFor, ...query } = request.query
      await ledgerAt(reply, waitFor)
      return ledgerPublicKey(db, query)
    },
  )

  app.get(
    '/ledger/keys',
    {
      preValidation: readers,
      schema: {
        tags,
        operationId: 'listLedgerKeys',
        summary: 'Every public key that signs or signed tree heads, with its validity period (old heads verify with old keys)',
        querystring: WaitForQuery,
        response: { 200: LedgerKeysResponse },
      },
    },
    async (request, reply) => {
      await ledgerAt(reply, request.query.waitFor)
      return ledgerKeys(db)
    },
  )

  app.get(
    '/ledger/proofs/inclusion',
    {
      preValidation: readers,
      schema: {
        tags,
        operationId: 'getInclusionProof',
        summary: 'RFC 6962 inclusion proof of an event in the tree of treeSize leaves (default: the latest signed head)',
        querystring: InclusionProofQuery.extend(WaitForQuery.shape),
        // 404: the event is not a leaf (yet); 422: a tree size beyond the tree.
        response: { 200: InclusionProofResponse, ...problemResponses([404, 422]) },
      },
    },
    async (request, reply) => {
      const { waitFor, ...query } = request.query
      await ledgerAt(reply, waitFor)
      return inclusionProof(db, query)
    },
  )

  app.get(
    '/ledger/proofs/consistency',
    {
      preValidation: readers,
      schema: {
        tags,
        operationId: 'getConsistencyProof',
        summary: 'RFC 6962 consistency proof: the tree of `to` leaves extends the tree of `from` leaves',
        querystring: ConsistencyProofQuery.extend(WaitForQuery.shape),
        response: { 200: ConsistencyProofResponse, ...problemResponses([422]) },
      },
    },
    async (request, reply) => {
      const { waitFor, ...query } = request.query
      await ledgerAt(reply, waitFor)
      return consistencyProof(db, query)
    },
  )
}
