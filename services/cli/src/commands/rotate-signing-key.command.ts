import { readFile } from 'node:fs/promises'
import { exportPrivateKeyPem, generateSigningKeyPair } from '@pc/ledger'
import { openRuntime } from '@pc/platform'
import { loadProjectorConfig } from '@pc/projector'
import { createReadModelDatabase, migrateReadModels } from '@pc/read-models'
import {
  rotateSigningKey,
  signerFromPem,
  SigningKeyRotationError,
  stageSigningKeyFile,
  type LedgerSigner,
  type StagedSigningKeyFile,
} from '@pc/read-models/ledger'
import { type CliCommand, configOrReport, orReport, parseCommandArgs, USAGE_ERROR } from './command.js'

/**
 * `cli rotate-signing-key [--new-key-file <private-key.pem>]`: makes a new Ed25519 key the ledger's signing key
 * (DESIGN §6, issue 16). The old key is retired at that moment and stays listed with its period at
 * `GET /v1/ledger/keys`, so every head it signed still verifies (`cli verify`, `cli audit`); it never signs again.
 *
 * - With `LEDGER_SIGNING_KEY` unset (the embedded default), the new key is generated, or read from `--new-key-file`,
 *   and replaces `DATA_DIR/ledger-signing-key.pem` once the rotation committed (the old private key is gone).
 * - With `LEDGER_SIGNING_KEY` set, `--new-key-file` is required (the key lives where the deployment keeps secrets),
 *   and `LEDGER_SIGNING_KEY` must be set to it before the projector starts again.
 *
 * A projector still running with the old key signs nothing more (the tree keeps growing) and refuses to start
 * with it: restart it with the new key.
 */
export const rotateSigningKeyCommand: CliCommand = {
  name: 'rotate-signing-key',
  summary: 'start a new ledger signing key; the old one is retired and keeps verifying its heads',
  usage: 'rotate-signing-key [--new-key-file <private-key.pem>]',
  async run(args, io) {
    const parsed = parseCommandArgs('rotate-signing-key', args, io, { 'new-key-file': { type: 'string' } })
    if (typeof parsed === 'number') return parsed
    const { values } = parsed
    const config = configOrReport(io)
    if (!config) return 1
    const ledger = orReport(io, () => loadProjectorConfig(io.env))
    if (!ledger) return 1
    const fromEnvironment = ledger.ledgerSigningKey !== undefined
    const file = values['new-key-file']
    if (fromEnvironment && file === undefined) {
      io.err(
        'rotate-signing-key: LEDGER_SIGNING_KEY is set, so the new key must be given: --new-key-file <file> ' +
          '(an Ed25519 PKCS#8 PEM: openssl genpkey -algorithm ed25519)',
      )
      return USAGE_ERROR
    }
    let next: LedgerSigner
    try {
      const pem = file === undefined ? exportPrivateKeyPem(generateSigningKeyPair().privateKey) : await readFile(file, 'utf8')
      next = signerFromPem(pem, ledger.ledgerOrigin)
    } catch (error) {
      io.err(`rotate-signing-key: ${file ?? 'the new key'}: ${(error as Error).message}`)
      return USAGE_ERROR
    }

    const runtime = await openRuntime(config)
    const db = createReadModelDatabase({ connectionString: runtime.databaseUrl, max: 2, applicationName: 'pc-cli-rotate-signing-key' })
    let staged: StagedSigningKeyFile | undefined
    try {
      // The key periods are migration 0010's: a store the projector has not started on since is brought up to date.
      await migrateReadModels(db)
      if (!fromEnvironment) staged = await stageSigningKeyFile(config.dataDir, next.privateKey)
      const { previous, current, at } = await rotateSigningKey(db, next)
      await staged?.commit()
      staged = undefined
      io.out(
        `rotated: ledger signing key ${current} is current from ${at}` +
          (previous ? `; ${previous} is retired and keeps verifying the heads it signed (GET /v1/ledger/keys)` : ' (the ledger had no key yet)'),
      )
      io.out(
        fromEnvironment
          ? 'set LEDGER_SIGNING_KEY to the new key, then restart the projector (until then no head is signed)'
          : `the new key is in ${config.dataDir}; restart the projector (until then no head is signed)`,
      )
      return 0
    } catch (error) {
      if (!(error instanceof SigningKeyRotationError)) throw error
      io.err(`rotate-signing-key: ${error.message}`)
      return 1
    } finally {
      await staged?.discard()
      await db.destroy()
      await runtime.close()
    }
  },
}
