import t from 'tap'
import { runEventStoreContract } from '@pc/testing/event-store-contract'
import { createEsdbEventStore } from '../src/esdb/esdb.adapter.js'
import { REAL_SERVER_URL, esdbTarget } from './esdb-target.js'

// The shared event store contract, run with the real `@eventstore/db-client` over a real socket: against the
// gRPC stand-in in CI, or against a real EventStoreDB/KurrentDB when EVENTSTORE_URL is set, e.g.
//   EVENTSTORE_URL='esdb://localhost:2113?tls=false' node_modules/.bin/tap packages/event-store/test/esdb.int.test.ts
// Every case works under its own random prefixes, so a real server may hold other data.

const { url, standin } = await esdbTarget(t)

await runEventStoreContract(t, REAL_SERVER_URL ? `EventStoreDB at ${REAL_SERVER_URL}` : 'EventStoreDB (gRPC stand-in)', async () => {
  const store = createEsdbEventStore({ connectionString: url })
  return {
    store,
    cleanup: () => store.close(),
    capabilities: {
      // EventStoreDB has no index by event id: it only recognises an append that is re-sent as it was.
      rejectsDuplicateEventIds: false,
      // Only the stand-in can be told where its next position lands; a real server keeps its own log offsets.
      ...(standin ? { setGlobalPosition: async (position: bigint) => standin.log.skipPositionBeyond(position) } : {}),
    },
  }
})
