/**
 * `@pc/platform/config`: the configuration alone, without the HTTP edge, the runtime or their libraries, for a
 * command that only needs to read the environment (`cli token`), so it starts quickly. Services use `@pc/platform`.
 *
 * @example
 * import { loadConfig } from '@pc/platform/config'
 */
export { loadConfig, LOG_LEVELS, type Config, type LogLevel } from '../config.js'
export { ConfigError } from '../errors.js'
