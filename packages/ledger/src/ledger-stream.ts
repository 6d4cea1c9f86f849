/**
 * The stream signed tree heads are appended to (DESIGN §4). Its own events are NOT leaves of the tree: a head is
 * signed over the tree, so a head that became a leaf would change the tree it describes and call for another
 * head — a feedback loop that never settles. The heads are chained and stored like any event, and verifiers check
 * each one against the tree instead.
 */
export const LEDGER_CHECKPOINT_STREAM = 'ledger-checkpoints'

/** The event type of a head in `ledger-checkpoints`; its data is the `SignedTreeHead`. */
export const TREE_HEAD_SIGNED = 'TreeHeadSigned'
