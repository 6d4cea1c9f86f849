import type { BusinessCalendar, CasePriority, SlaCalendar, SlaPolicy, SlaTerms } from '@pc/contracts'

/**
 * Default business calendar: Monday to Friday, 09:00–18:00 Beijing time (UTC+8). No holidays are built in — the
 * State Council publishes each year's holidays and make-up working days late in the year before, so they are
 * configuration (`holidays`, `workdays`), not code.
 */
export const DEFAULT_BUSINESS_CALENDAR: BusinessCalendar = Object.freeze({
  kind: 'business' as const,
  workingDays: Object.freeze([1, 2, 3, 4, 5]) as number[],
  hours: Object.freeze({ start: '09:00', end: '18:00' }),
  holidays: Object.freeze([]) as unknown as string[],
  workdays: Object.freeze([]) as unknown as string[],
  utcOffsetMinutes: 480,
})

/**
 * The default SLA policy (DESIGN §4). Response and resolution targets are the design's; update intervals are ours:
 * - urgent: 15 min response, 2 h updates, 4 h resolution, round the clock;
 * - high: 1 h response, 4 h updates, 24 h resolution;
 * - normal: 4 h response, 8 h updates (about one working day), 72 h resolution;
 * - low: 24 h response, 24 h updates, 7 d (168 h) resolution.
 * Everything but urgent counts business hours on `DEFAULT_BUSINESS_CALENDAR`.
 *
 * @example
 * const context = { now: new Date().toISOString(), slaPolicy: DEFAULT_SLA_POLICY }
 */
export const DEFAULT_SLA_POLICY: SlaPolicy = Object.freeze({
  id: 'default-v1',
  targets: Object.freeze({
    urgent: Object.freeze({ responseMinutes: 15, updateMinutes: 120, resolutionMinutes: 240, calendar: '24x7' as const }),
    high: Object.freeze({ responseMinutes: 60, updateMinutes: 240, resolutionMinutes: 24 * 60, calendar: 'business' as const }),
    normal: Object.freeze({ responseMinutes: 240, updateMinutes: 480, resolutionMinutes: 72 * 60, calendar: 'business' as const }),
    low: Object.freeze({ responseMinutes: 24 * 60, updateMinutes: 24 * 60, resolutionMinutes: 7 * 24 * 60, calendar: 'business' as const }),
  }),
  businessCalendar: DEFAULT_BUSINESS_CALENDAR,
})

const ROUND_THE_CLOCK: SlaCalendar = Object.freeze({ kind: '24x7' as const })

/**
 * The terms one case is measured against: the policy's targets for its priority and the calendar they count on.
 * Written into `CaseReported`, so a later policy change never re-measures an old case.
 */
export function slaTermsFor(policy: SlaPolicy, priority: CasePriority): SlaTerms {
  const target = policy.targets[priority]
  return {
    policyId: policy.id,
    priority,
    responseMinutes: target.responseMinutes,
    updateMinutes: target.updateMinutes,
    resolutionMinutes: target.resolutionMinutes,
    // A copy, not the shared (frozen) object: the terms travel into event data and are serialised from there.
    calendar:
      target.calendar === '24x7'
        ? { ...ROUND_THE_CLOCK }
        : {
            ...policy.businessCalendar,
            workingDays: [...policy.businessCalendar.workingDays],
            hours: { ...policy.businessCalendar.hours },
            holidays: [...policy.businessCalendar.holidays],
            workdays: [...policy.businessCalendar.workdays],
          },
  }
}
