import type { DisclosureDraft, DisclosureEvent } from '@pc/contracts'
import type { CommandActor } from '../src/decider.js'
import { buildContent, contentHash, disclosureDecider } from '../src/disclosures/index.js'
import type { DisclosureContext, DisclosureState } from '../src/disclosures/index.js'

/** Shared fixtures of the disclosure decider tests (not a test file itself: no `.test.ts` suffix). */

export const DISCLOSURE_ID = '6d0f3c9e-2b7a-4e51-9c1d-3f8a2b4c5d6e'
export const NOW = '2026-04-01T00:00:00.000Z'

export const manager: CommandActor = { id: 'manager-1', roles: ['manager'] }
export const resident: CommandActor = { id: 'resident-1', roles: ['resident'], units: ['3-1-502'] }
export const committee: CommandActor = { id: 'committee-1', roles: ['committee'] }
export const staff: CommandActor = { id: 'staff-1', roles: ['staff'] }
export const auditor: CommandActor = { id: 'auditor-1', roles: ['auditor'] }

/** A uuid generator that is deterministic, so `objectionId`s can be asserted. */
export function sequentialIds(): () => string {
  let n = 0
  return () => `00000000-0000-4000-8000-${(++n).toString(16).padStart(12, '0')}`
}

export function context(overrides: Partial<DisclosureContext> = {}): DisclosureContext {
  return { now: NOW, advanceNoticeDays: 7, newId: sequentialIds(), ...overrides }
}

/** `NOW` plus a number of days (fractions allowed), as an ISO string. */
export function daysAfterNow(days: number): string {
  return new Date(Date.parse(NOW) + days * 86_400_000).toISOString()
}

export const annualStatement: DisclosureDraft = {
  kind: 'financial_statement',
  title: '2025 年度物业费收支',
  body: 'Property fee income and spending for 2025.',
  period: { from: '2025-01-01', to: '2025-12-31' },
  lineItems: [
    { category: 'fees', description: 'Property fees collected', amountFen: 120_000_000, direction: 'income' },
    { category: 'cleaning', description: 'Cleaning contract', amountFen: 35_000_000, direction: 'expense' },
    { category: 'security', description: 'Security contract', amountFen: 48_000_050, direction: 'expense' },
  ],
}

export const liftReplacement: DisclosureDraft = {
  kind: 'major_matter',
  title: 'Lift replacement, building 3',
  body: 'Both lifts of building 3 are replaced, paid from the maintenance fund.',
  effectiveAt: daysAfterNow(30),
  commentPeriodEndsAt: daysAfterNow(20),
}

export const notice: DisclosureDraft = { kind: 'notice', title: 'Water cut', body: 'Water is off on Saturday morning.' }

export const given = (events: readonly DisclosureEvent[]): DisclosureState =>
  events.reduce(disclosureDecider.evolve, disclosureDecider.initialState)

export function drafted(draft: DisclosureDraft, at = NOW): DisclosureEvent {
  return { type: 'DisclosureDrafted', data: { disclosureId: DISCLOSURE_ID, draft, at } }
}

export function published(draft: DisclosureDraft, at = NOW): DisclosureEvent {
  const content = buildContent(draft)
  return { type: 'DisclosurePublished', data: { version: 1, content, contentHash: contentHash(content), at } }
}
