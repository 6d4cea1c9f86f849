export { exportFiles, type ExportedLeaf, type ExportedProof } from './export-files.js'
export { readLineBatches } from './json-lines.js'
export { verifyExport, type VerifyOptions, type VerifyResult } from './export-verifier.js'
export {
  LedgerReplay,
  describeFinding,
  leafHashOfEvent,
  outOfPeriod,
  type ReplayEvent,
  type ReplayOptions,
  type ReplayResult,
  type ReferenceLeaf,
  type HeadToCheck,
  type EventRef,
  type Finding,
} from './ledger.replay.js'
