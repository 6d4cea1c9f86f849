/**
 * Runs the EventStoreDB gRPC stand-in on its own — a STAND-IN FOR CI AND MANUAL RUNS, NOT A SERVER: events live
 * in memory and are gone when it stops.
 *
 *   pnpm esdb-standin --port 2113
 *   EVENTSTORE_URL='esdb://127.0.0.1:2113?tls=false' pnpm start
 */
import { parseArgs } from 'node:util'
import { startStandin } from './standin.js'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '2113' },
    host: { type: 'string', default: '127.0.0.1' },
    help: { type: 'boolean', default: false },
  },
})

if (values.help) {
  console.log('usage: pnpm esdb-standin [--port 2113] [--host 127.0.0.1]\nAn in-memory stand-in for EventStoreDB gRPC, for CI and manual runs; not a server.')
  process.exit(0)
}

const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`--port must be a port number, got ${values.port}`)
  process.exit(2)
}

const standin = await startStandin({ port, host: values.host })
console.log(standin.url)
console.error('EventStoreDB gRPC stand-in (in memory, for CI and manual runs — not a server). Ctrl-C stops it.')

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void standin.close().then(() => process.exit(0))
  })
}
