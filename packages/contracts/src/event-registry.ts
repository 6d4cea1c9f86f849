import type { z } from 'zod'

// The shapes every context's event registry takes. A leaf on purpose: each context's events module and the
// readers that merge them all import these, so they must not live in any one of them.

/** Any context's registry: event type → latest schema version and the schema of its data. */
export type EventTypeRegistry = Record<string, { readonly schemaVersion: number; readonly schema: z.ZodType }>

/** Any context's superseded schemas: event type → version → schema. */
export type EventHistory = Record<string, Record<number, z.ZodType>>

/** Turns the data of version `n` into the data of version `n + 1`. Pure; never mutates its input. */
export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>

/** Event type → the version an upcaster starts from → the upcaster. */
export type UpcasterRegistry = Record<string, Record<number, Upcaster>>
