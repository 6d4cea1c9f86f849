import { z } from 'zod'

/**
 * The roles of DESIGN §1, as they appear in a token's `roles` claim.
 * - `resident`: resident or owner (业主)
 * - `staff`: customer service; `technician`; `manager`; `mediator` (调解员)
 * - `committee`: owners' committee member (业委会); `auditor` (read-only); `admin`
 */
export const ROLES = ['resident', 'staff', 'technician', 'manager', 'mediator', 'committee', 'auditor', 'admin'] as const
export type Role = (typeof ROLES)[number]
export const Role = z.enum(ROLES)
