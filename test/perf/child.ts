/**
 * Entry of a contender's child process: `node --import tsx test/perf/child.ts <contender> <task>`, forked by
 * `bench.ts` with an IPC channel. It loads only that contender's module (a peer may change `pg`'s type parsers
 * process-wide), takes the task's parameters from the first message, answers `{ ok, result | error }` and exits.
 *
 * A task that leaves something running for the orchestrator (the HTTP server of shape 5) registers its shutdown
 * with `holdUntilStopped`; the child then stays up until the orchestrator sends `'stop'`.
 */
import type { Contender, TaskName, Tasks } from './lib/tasks.js'
import { heldClosers } from './lib/hold.js'

const [contender, task] = process.argv.slice(2) as [Contender, TaskName]

function reply(message: unknown): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()))
}

process.once('message', async (params: unknown) => {
  try {
    const module = (await import(`./contenders/${contender}.js`)) as { tasks: Tasks }
    const run = module.tasks[task] as ((p: unknown) => Promise<unknown>) | undefined
    if (!run) throw new Error(`contender ${contender} has no task ${task}`)
    const result = await run(params)
    await reply({ ok: true, result })
    if (heldClosers.length > 0) {
      await new Promise<void>((resolve) => process.once('message', () => resolve()))
      for (const close of heldClosers.reverse()) await close()
      await reply({ ok: true, result: 'stopped' })
    }
    process.exit(0)
  } catch (error) {
    await reply({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) })
    process.exit(1)
  }
})
