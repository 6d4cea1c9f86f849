import { LEDGER_CHECKPOINT_STREAM, ledgerProjection, SignedTreeHeadResponse, TREE_HEAD_SIGNED } from '@pc/read-models'
import type { JsonObject } from '@pc/event-store'
import { UnknownEventTypeError } from '@pc/contracts'
import { defineContext } from '../context.js'
import { ledgerRoutes } from './ledger.queries.js'

/** A signed tree head as the `ledger-checkpoints` stream keeps it. */
export interface TreeHeadSignedEvent {
  type: typeof TREE_HEAD_SIGNED
  data: SignedTreeHeadResponse
}

const ledgerCodec = {
  toStored: (event: TreeHeadSignedEvent) => ({ type: event.type, schemaVersion: 1, data: { ...event.data } as JsonObject }),
  fromStored(stored: { type: string; data: unknown }): TreeHeadSignedEvent {
    if (stored.type !== TREE_HEAD_SIGNED) throw new UnknownEventTypeError(stored.type)
    return { type: TREE_HEAD_SIGNED, data: SignedTreeHeadResponse.parse(stored.data) }
  },
}

/**
 * The ledger (DESIGN §6): the RFC 6962 tree over every event, its signed heads (appended to `ledger-checkpoints` by
 * the projector's head worker, not by commands), and the proofs committees and auditors check. No decider.
 */
export const ledger = defineContext({
  name: 'ledger',
  description: 'Tamper evidence: signed tree heads, public keys, inclusion and consistency proofs (RFC 6962)',
  streamPrefix: LEDGER_CHECKPOINT_STREAM,
  eventTypes: [TREE_HEAD_SIGNED],
  codec: ledgerCodec,
  commands: [],
  queries: ledgerRoutes,
  projections: (deps) => [ledgerProjection(deps.ledger ?? {})],
})
