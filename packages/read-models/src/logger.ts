/** The slice of a pino logger the projector uses; pino's `Logger` fits it, tests can pass a collector. */
export interface ProjectorLogger {
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

export const silentLogger: ProjectorLogger = Object.freeze({
  info() {},
  warn() {},
  error() {},
})
