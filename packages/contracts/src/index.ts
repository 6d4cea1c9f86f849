/**
 * `@pc/contracts`: the zod schemas every service and package agrees on — command bodies, event data with their
 * schema versions and upcasters, and the error codes with the problem+json body.
 *
 * @example
 * import { ReportCaseBody, caseEventReader, ErrorCode } from '@pc/contracts'
 */
export * from './common.js'
export * from './errors.js'
export * from './event-registry.js'
export * from './memo.js'
export * from './personal.js'
export * from './cases/index.js'
export * from './mediation/index.js'
export * from './upcasters.js'
export * from './disclosures/index.js'
export * from './subjects/index.js'
