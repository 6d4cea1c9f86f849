import { z } from 'zod'

/**
 * Building blocks every context's schemas share: ids, times, roles, text limits, JSON.
 *
 * @example
 * import { Uuid, IsoDateTime } from '@pc/contracts'
 * Uuid.parse('4f1c2a9e-8d1b-4c55-9a53-0f6f7c2d9b11')
 */

/** Upper bounds on text, so no single field can fill the 64 KiB body limit on its own. */
export const TextLimit = {
  /** Titles and other one-line labels. */
  title: 200,
  /** Names: buildings, teams, categories, a person's name. */
  name: 100,
  /** Reasons and short comments (hold, escalate, reopen, withdraw). */
  reason: 2_000,
  /** Free text: descriptions, notes, resolutions, review findings. */
  text: 10_000,
} as const

/** A uuid (any version) — the id of a case, disclosure or event. */
export const Uuid = z.uuid()
export type Uuid = z.infer<typeof Uuid>

/**
 * A user id: the JWT `sub`. Not necessarily a uuid — it comes from whichever identity provider issued the token
 * (`auth0|5f…`, an email, `system:sla`), so only its length and the absence of spaces and control characters are
 * checked.
 */
export const UserId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^\s\p{C}]+$/u, 'no spaces or control characters')
export type UserId = z.infer<typeof UserId>

/** An ISO 8601 date-time with `Z` or an explicit offset (`2026-03-02T09:30:00+08:00`). */
export const IsoDateTime = z.iso.datetime({ offset: true })
export type IsoDateTime = z.infer<typeof IsoDateTime>

/** A calendar date `YYYY-MM-DD` (holidays, disclosure periods). */
export const IsoDate = z.iso.date()
export type IsoDate = z.infer<typeof IsoDate>

/** The largest value of a PostgreSQL `bigint`, where revisions and positions are stored. */
export const MAX_BIGINT = 2n ** 63n - 1n

/**
 * A bigint travelling through JSON: a non-negative decimal string (revisions, positions, tree sizes), at most
 * `MAX_BIGINT`. The one schema for them in requests too (`waitFor`, `revision`, `from`): a larger number is a 400
 * naming the field, not a PostgreSQL "out of range for type bigint" answered as 500.
 */
export const DecimalString = z
  .string()
  .regex(/^(0|[1-9][0-9]*)$/, 'a non-negative decimal integer')
  .refine((s) => !/^[0-9]+$/.test(s) || BigInt(s) <= MAX_BIGINT, `at most ${MAX_BIGINT}`)
export type DecimalString = z.infer<typeof DecimalString>

// With the `u` flag a well-formed pair is one astral code point; only a surrogate standing alone is `Cs`.
const LONE_SURROGATE = /\p{Cs}/u

/**
 * A string that can be stored and hashed: no NUL (PostgreSQL text and jsonb cannot hold U+0000) and no lone
 * surrogate (not Unicode at all; RFC 8785 canonical JSON refuses it). Every free-text field of a request is one
 * (`line`, `text`, and the query filters), so such input is a 400 naming the field, never a 500 from the store.
 */
export const plainString = () =>
  z
    .string()
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL (\\u0000)')
    .refine((s) => !LONE_SURROGATE.test(s), 'must be well-formed Unicode (no lone surrogate)')

/** A single line of text, trimmed, non-empty, at most `max` characters. */
export const line = (max: number = TextLimit.title) => plainString().trim().min(1).max(max)

/** Multi-line free text, trimmed, non-empty, at most `max` characters. */
export const text = (max: number = TextLimit.text) => plainString().trim().min(1).max(max)

/** The roles of DESIGN §1, as carried in the JWT `roles` claim. */
export const Role = z.enum(['resident', 'staff', 'technician', 'manager', 'mediator', 'committee', 'auditor', 'admin'])
export type Role = z.infer<typeof Role>

/** The id `system:sla` and friends: actors that are processes, not people. */
export const SYSTEM_ACTOR_PREFIX = 'system:'

/** What every command answers (`201` for a report, `200` otherwise); bigints as decimal strings. */
export const CommandAccepted = z.strictObject({
  id: z.string(),
  revision: DecimalString,
  position: DecimalString,
})
export type CommandAccepted = z.infer<typeof CommandAccepted>

/** A JSON value, the same shape as the event store's `Json`, so data built here can be appended as is. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
export type JsonObject = { [key: string]: Json }

/**
 * Drops `undefined` members and checks the value survives JSON: event data must hash the same before and after a
 * round trip through the store (RFC 8785 canonical JSON has no `undefined`).
 */
export function toJsonObject(value: object): JsonObject {
  return JSON.parse(JSON.stringify(value)) as JsonObject
}
