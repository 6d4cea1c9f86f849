/** The projection that builds the tree; keys its checkpoint row and its lease. */
export const LEDGER_PROJECTION = 'ledger'

// Verifiers need these with no database, so they are the ledger package's; the read side re-exports them.
export { LEDGER_CHECKPOINT_STREAM, TREE_HEAD_SIGNED, DEFAULT_LEDGER_ORIGIN, isLedgerOrigin } from '@pc/ledger'

/** The actor of ledger-made events. */
export const LEDGER_ACTOR = Object.freeze({ id: 'system:ledger', roles: Object.freeze([]) as readonly string[] })

/** Defaults of `LEDGER_HEAD_EVERY` (leaves between count-triggered heads) and `LEDGER_HEAD_SECONDS`. */
export const DEFAULT_LEDGER_HEAD_EVERY = 1000
export const DEFAULT_LEDGER_HEAD_SECONDS = 60

/** The file the embedded default keeps its generated signing key in, under `DATA_DIR`. */
export const SIGNING_KEY_FILE = 'ledger-signing-key.pem'
