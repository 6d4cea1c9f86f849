import { contextProjections, contexts } from '@pc/contexts'
import { openRuntime } from '@pc/platform'
import {
  createReadModelDatabase,
  migrateReadModels,
  RebuildInProgressError,
  rebuildProjections,
  selectProjections,
  type Projection,
} from '@pc/read-models'
import { estimateLogSize } from '../progress/log-size.js'
import { startProgress } from '../progress/progress.js'
import { type CliCommand, configOrReport, parseCommandArgs, USAGE_ERROR } from './command.js'

/**
 * `cli rebuild <projection>… | --all`: rebuilds read models from the whole event log into fresh tables and swaps
 * them in once caught up (`rebuildProjections`), all of them in one pass over the log. Queries keep answering from the
 * old tables meanwhile, and a running projector carries on from the swapped-in checkpoint. The ledger is rebuilt
 * without a signer: its signed heads are kept, never re-signed.
 */
export const rebuildCommand: CliCommand = {
  name: 'rebuild',
  summary: 'rebuild read models from the event log (fresh tables, swapped in when caught up)',
  usage: 'rebuild (<projection>... | --all) [--quiet]',
  async run(args, io) {
    const known = contextProjections(contexts)
    const usage = `usage: pnpm cli ${rebuildCommand.usage}\nprojections: ${known.map((p) => p.name).join(', ')}`
    const parsed = parseCommandArgs(
      'rebuild',
      args,
      io,
      { all: { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' } },
      { allowPositionals: true, usage },
    )
    if (typeof parsed === 'number') return parsed
    const { values, positionals } = parsed
    if ((positionals.length === 0) === !values.all) {
      io.err(`rebuild: name the projections or give --all, not both\n${usage}`)
      return USAGE_ERROR
    }
    let projections: Projection[]
    try {
      projections = selectProjections(known, values.all ? 'all' : [...new Set(positionals)])
    } catch (error) {
      if (!(error instanceof RangeError)) throw error
      io.err(`rebuild: ${error.message}`)
      return USAGE_ERROR
    }
    const config = configOrReport(io)
    if (!config) return 1
    const runtime = await openRuntime(config)
    // A pinned session for the rebuild locks, one per projection for the batches written side by side (the swap
    // takes one), one for the bookkeeping; `--all` with more projections than that just queues its batches.
    const db = createReadModelDatabase({ connectionString: runtime.databaseUrl, max: 8, applicationName: 'pc-cli-rebuild' })
    const progress = startProgress({ label: 'rebuild', sink: io.progress, quiet: values.quiet === true })
    try {
      await migrateReadModels(db)
      const total = await estimateLogSize(runtime.eventStore, db)
      const results = await rebuildProjections({
        db,
        store: runtime.eventStore,
        projections,
        logger: runtime.logger,
        onProgress: (events) => progress.update(events, total),
      })
      progress.finish()
      for (const r of results) {
        io.out(`rebuilt ${r.projection}: ${r.events} events in ${(r.durationMs / 1000).toFixed(1)} s, at position ${r.checkpoint.position}`)
      }
      return 0
    } catch (error) {
      if (!(error instanceof RebuildInProgressError)) throw error
      io.err(`rebuild: ${error.message}; try again when it has finished`)
      return 1
    } finally {
      progress.finish()
      await db.destroy()
      await runtime.close()
    }
  },
}
