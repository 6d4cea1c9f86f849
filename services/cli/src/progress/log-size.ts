import type { EventStore } from '@pc/event-store'
import { LEDGER_CHECKPOINT_STREAM } from '@pc/ledger'
import { ledgerTreeSize, type LedgerDb } from '@pc/read-models/ledger'

/**
 * About how many events the log holds, as a progress total: the ledger's leaves plus the heads in
 * `ledger-checkpoints` (which are not leaves). The port has no count and a count query would read the whole log;
 * the ledger trails the log only by what the projector has not applied yet, and a total that is passed just drops
 * the ETA. `undefined` when the ledger tables cannot be read (no migrations yet).
 */
export async function estimateLogSize(store: EventStore, db: LedgerDb): Promise<number | undefined> {
  try {
    const leaves = await ledgerTreeSize(db)
    let heads = 0n
    for await (const last of store.readStream(LEDGER_CHECKPOINT_STREAM, { direction: 'backwards', maxCount: 1 })) {
      heads = last.revision + 1n
    }
    return Number(leaves + heads)
  } catch {
    return undefined
  }
}
