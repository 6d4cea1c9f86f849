/**
 * The files of an export (`cli export --out log.jsonl`) that an offline verifier reads:
 * - `log.jsonl`: one event per line as stored — `{ eventId, streamId, revision, position, type, schemaVersion,
 *   data, metadata, recordedAt }`, revision and position as decimal strings;
 * - `log.jsonl.head.json`: a signed tree head; `log.jsonl.pub.pem`: the public key that signed it;
 * - `log.jsonl.keys.json`: every key the ledger has had with its period, as `GET /v1/ledger/keys` answers
 *   (`{ keys: [{ keyId, publicKeyPem, validFrom, validUntil }] }`), so heads signed before a rotation verify too;
 * - `log.jsonl.leaves.jsonl` (whole log): the ledger's record of every leaf the head covers (`ExportedLeaf`);
 * - `log.jsonl.proofs.jsonl` (one stream): an inclusion proof for every event the head covers (`ExportedProof`).
 *
 * @example
 * const { head, publicKey } = exportFiles('log.jsonl') // 'log.jsonl.head.json', 'log.jsonl.pub.pem'
 */
export function exportFiles(out: string) {
  return {
    events: out,
    head: `${out}.head.json`,
    publicKey: `${out}.pub.pem`,
    keys: `${out}.keys.json`,
    leaves: `${out}.leaves.jsonl`,
    proofs: `${out}.proofs.jsonl`,
  }
}

/** The ledger's record of one leaf (`.leaves.jsonl`). */
export interface ExportedLeaf {
  leafIndex: string
  eventId: string
  streamId: string
  revision: string
  position: string
  leafHash: string
}

/** An inclusion proof of one exported event (`.proofs.jsonl`). */
export interface ExportedProof {
  eventId: string
  leafIndex: string
  treeSize: string
  leafHash: string
  auditPath: string[]
}
