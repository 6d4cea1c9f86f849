import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Config } from './config.js'

/** Where the embedded default keeps its generated HS256 secret. */
export function jwtSecretFile(dataDir: string): string {
  return join(dataDir, 'jwt-secret')
}

/**
 * The HS256 secret: `JWT_SECRET` when set, else the one generated into `DATA_DIR` on first use and reused, so
 * `pnpm cli token` and `pnpm start` agree without the user ever choosing a secret.
 *
 * @example
 * const secret = await ensureJwtSecret(config)
 * const token = await signToken(secret, { sub: 'u-1', roles: ['staff'] })
 */
export async function ensureJwtSecret(config: Pick<Config, 'jwtSecret' | 'dataDir'>): Promise<string> {
  if (config.jwtSecret !== undefined) return config.jwtSecret
  const file = jwtSecretFile(config.dataDir)
  const existing = await readSecret(file)
  if (existing) return existing
  await mkdir(config.dataDir, { recursive: true })
  const secret = randomBytes(48).toString('base64url')
  try {
    // `wx`: two processes starting at once must not each write their own secret; the loser reads the winner's.
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' })
    return secret
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    // The winner may not have written its bytes yet.
    for (let attempt = 0; attempt < 20; attempt++) {
      const winner = await readSecret(file)
      if (winner) return winner
      await new Promise((done) => setTimeout(done, 10))
    }
    throw new Error(`${file} exists but is empty`, { cause: error })
  }
}

async function readSecret(file: string): Promise<string | undefined> {
  try {
    const text = (await readFile(file, 'utf8')).trim()
    return text === '' ? undefined : text
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}
