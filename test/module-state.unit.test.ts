import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

/**
 * No module-level mutable state in `packages/*\/src` or `services/*\/src` (STYLE "One context, one descriptor"):
 * caches and registries live in an instance a plugin or worker owns and releases, so two apps in one process never
 * share one. A top-level `let`/`var`, or a top-level `new Map`/`WeakMap`/`Set`/`WeakSet` not typed read-only, fails
 * this test. Pure memoization by object identity goes through `weakMemo` (`@pc/contracts`).
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Files that hold process-wide state on purpose, each with its reason. */
const ALLOWED: Readonly<Record<string, string>> = {
  'packages/postgres/src/testing.ts':
    'test support: one embedded cluster per test process, shared by every test database of that process by design',
}

const TOP_LEVEL_LET = /^(export\s+)?(let|var)\s/
const TOP_LEVEL_COLLECTION = /^(export\s+)?const\s+\w+(\s*:\s*([^=]+))?\s*=\s*new\s+(Map|WeakMap|Set|WeakSet)\b/

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  const found: string[] = []
  for (const entry of entries) {
    const path = join(dir, entry.name)
    if (entry.isDirectory() && entry.name !== 'node_modules') found.push(...(await sources(path)))
    else if (entry.isFile() && entry.name.endsWith('.ts')) found.push(path)
  }
  return found
}

/** The offending top-level lines of one source text. */
export function moduleState(text: string): string[] {
  return text.split('\n').filter((line) => {
    if (TOP_LEVEL_LET.test(line)) return true
    const collection = TOP_LEVEL_COLLECTION.exec(line)
    return collection !== null && !/^\s*Readonly(Map|Set)</.test(collection[3] ?? '')
  })
}

t.test('the check finds what it is meant to find', async (t) => {
  t.same(moduleState('let cache = 1'), ['let cache = 1'])
  t.same(moduleState('export const seen = new Map<string, number>()'), ['export const seen = new Map<string, number>()'])
  t.same(moduleState('const memo = new WeakMap()'), ['const memo = new WeakMap()'])
  t.same(moduleState("const CODES: ReadonlySet<string> = new Set(['a'])"), [], 'a read-only constant set is fine')
  t.same(moduleState('  let inner = 1\nfunction f() {}'), [], 'inside a function is fine')
})

t.test('no module-level mutable state in packages/*/src and services/*/src', async (t) => {
  const files: string[] = []
  for (const top of ['packages', 'services']) {
    for (const name of await readdir(join(root, top))) files.push(...(await sources(join(root, top, name, 'src'))))
  }
  t.ok(files.length > 100, `read ${files.length} source files`)
  for (const file of files) {
    const path = relative(root, file)
    if (ALLOWED[path]) continue
    t.same(moduleState(await readFile(file, 'utf8')), [], path)
  }
})
