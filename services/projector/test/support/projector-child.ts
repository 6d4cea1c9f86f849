/**
 * A projector process for the crash test: runs the case projections against DATABASE_URL until it is killed.
 * Prints `started` once the runner is going, so the parent knows when a kill lands mid-work. It builds the few
 * parts of a runtime the projector needs itself: loading the whole platform (HTTP server, docs) would only make
 * every restart slower.
 */
import { createPostgresEventStore } from '@pc/event-store'
import { caseProjections, silentLogger } from '@pc/read-models'
import { startProjector } from '../../src/projector.js'

const databaseUrl = process.env.DATABASE_URL
if (!databaseUrl) throw new Error('DATABASE_URL is required')
const eventStore = await createPostgresEventStore({ connectionString: databaseUrl, pollIntervalMs: 50 })
const logger = { ...silentLogger, child: () => silentLogger }
await startProjector({ databaseUrl, eventStore, logger }, { projections: caseProjections, batchSize: 250, leasePollMs: 50, retryDelayMs: 100, sla: false })
process.stdout.write('started\n')
