/**
 * `pnpm client:generate`: writes `packages/client/openapi.json` (the document the server serves, from `cli openapi`
 * on a throw-away embedded PostgreSQL) and `packages/client/src/schema.ts` (its types, openapi-typescript). Run it
 * after changing a route; the document test fails until it has been run.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { schemaSource } from '../src/generate.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..', '..')
const documentFile = join(here, '..', 'openapi.json')
const schemaFile = join(here, '..', 'src', 'schema.ts')

const dataDir = await mkdtemp(join(tmpdir(), 'pc-client-generate-'))
try {
  const { DATABASE_URL: _ignored, ...env } = process.env
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'services/cli/src/main.ts', 'openapi', '--out', documentFile], {
    cwd: root,
    env: { ...env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
  })
} finally {
  await rm(dataDir, { recursive: true, force: true })
}
const document = JSON.parse(await readFile(documentFile, 'utf8')) as object
await writeFile(schemaFile, await schemaSource(document))
console.log(`wrote ${documentFile} and ${schemaFile}`)
