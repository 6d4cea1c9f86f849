import { ensureJwtSecret, Role, ROLES, signToken } from '@pc/platform/tokens'
import { type CliCommand, configOrReport, parseCommandArgs, USAGE_ERROR } from './command.js'

/**
 * `token`: prints a signed JWT for trying the API, with the same secret `start` uses (`JWT_SECRET`, or the one
 * generated into `DATA_DIR`; generated here if `start` never ran). Only the token goes to stdout, so
 * `TOKEN=$(pnpm -s cli token --sub staff-1 --role staff)` works.
 */
export const tokenCommand: CliCommand = {
  name: 'token',
  summary: 'print a signed JWT for a user id and roles',
  usage: 'token --sub <user id> --role <role>[,<role>…] [--unit <unit id>]… [--name <name>] [--expires <span, e.g. 12h>]',
  async run(args, io) {
    const parsed = parseCommandArgs('token', args, io, {
          sub: { type: 'string' },
          role: { type: 'string', multiple: true },
          unit: { type: 'string', multiple: true },
          name: { type: 'string' },
          expires: { type: 'string' },
        })
    if (typeof parsed === 'number') return parsed
    const { values } = parsed
    if (!values.sub) {
      io.err(`token: --sub is required\nusage: pnpm cli ${tokenCommand.usage}`)
      return USAGE_ERROR
    }
    const requested = (values.role ?? []).flatMap((r) => r.split(',')).map((r) => r.trim()).filter(Boolean)
    if (requested.length === 0) {
      io.err(`token: at least one --role is required (${ROLES.join(', ')})`)
      return USAGE_ERROR
    }
    const roles: Role[] = []
    for (const role of requested) {
      const parsed = Role.safeParse(role)
      if (!parsed.success) {
        io.err(`token: unknown role "${role}" (roles: ${ROLES.join(', ')})`)
        return USAGE_ERROR
      }
      roles.push(parsed.data)
    }

    const config = configOrReport(io)
    if (!config) return 1
    const secret = await ensureJwtSecret(config)
    try {
      const token = await signToken(secret, {
        sub: values.sub,
        roles,
        ...(values.unit && { units: values.unit }),
        ...(values.name !== undefined && { name: values.name }),
        ...(values.expires !== undefined && { expiresIn: values.expires }),
      })
      io.out(token)
      return 0
    } catch (error) {
      // jose refuses a malformed time span with a TypeError naming it.
      io.err(`token: ${(error as Error).message}`)
      return USAGE_ERROR
    }
  },
}
