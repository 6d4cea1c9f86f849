import { randomUUID } from 'node:crypto'
import type { NewEvent } from '@pc/event-store'

/** A minimal well-formed event for the generic runner tests (the chain hashes are not checked there). */
export function newEvent(type: string, data: Record<string, string | number> = {}): NewEvent {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    data,
    metadata: {
      actor: { id: 'test', roles: ['staff'] },
      occurredAt: new Date().toISOString(),
      correlationId: randomUUID(),
      causationId: null,
      prevHash: '0'.repeat(64),
      hash: '0'.repeat(64),
    },
  }
}
