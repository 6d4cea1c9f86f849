#!/usr/bin/env node
/**
 * `pnpm fuzz [--runs=N] [--seed=S]`: the route-table fuzzing of `test/fuzz.int.test.ts` with more requests per
 * operation than the suite sends (default 200) and a new seed each time unless one is given. A failure prints its
 * seed: `pnpm fuzz --seed=<it>` replays it. The last line is `run-tests.mjs`'s own `N passed, N failed`.
 */
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const { values } = parseArgs({ options: { runs: { type: 'string', default: '200' }, seed: { type: 'string' } }, strict: true })
const seed = values.seed ?? String(Math.floor(Math.random() * 2 ** 31))
for (const [name, value] of [['runs', values.runs], ['seed', seed]]) {
  if (!/^\d+$/.test(value)) {
    console.error(`fuzz: --${name} must be a whole number (got ${value})`)
    process.exit(2)
  }
}
console.log(`fuzz: ${values.runs} requests per operation, seed ${seed}`)
const child = spawn(process.execPath, [join(root, 'test/run-tests.mjs'), 'test/fuzz.int.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, FUZZ_RUNS: values.runs, FUZZ_SEED: seed },
})
child.on('close', (code) => process.exit(code ?? 1))
