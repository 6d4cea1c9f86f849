/** The projection that builds the tree; keys its checkpoint row and its lease. */
export const LEDGER_PROJECTION = 'ledger'

/**
 * The stream signed tree heads are appended to (DESIGN §4). Its own events are NOT leaves of the tree: a head is
 * signed over the tree, so a head that became a leaf would change the tree it describes and call for another
 * head — a feedback loop that never settles. The heads are chained and stored like any event, and verifiers check
 * each one against the tree instead.
 */
export const LEDGER_CHECKPOINT_STREAM = 'ledger-checkpoints'

/** The event type of a head in `ledger-checkpoints`; its data is the `SignedTreeHead`. */
export const TREE_HEAD_SIGNED = 'TreeHeadSigned'

/** The actor of ledger-made events. */
export const LEDGER_ACTOR = Object.freeze({ id: 'system:ledger', roles: Object.freeze([]) as readonly string[] })

/** Defaults of `LEDGER_HEAD_EVERY` (leaves between count-triggered heads) and `LEDGER_HEAD_SECONDS`. */
export const DEFAULT_LEDGER_HEAD_EVERY = 1000
export const DEFAULT_LEDGER_HEAD_SECONDS = 60

/** The file the embedded default keeps its generated signing key in, under `DATA_DIR`. */
export const SIGNING_KEY_FILE = 'ledger-signing-key.pem'
