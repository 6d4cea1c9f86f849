import { z } from 'zod'
import { IsoDate, IsoDateTime, TextLimit, line, text } from '../common.js'

/**
 * The building blocks of a disclosure (公示): its kind, money, the reporting period, line items, attachments, the
 * draft a manager writes and the content the system publishes from it.
 *
 * @example
 * DisclosureDraft.parse({ kind: 'public_revenue', title: '2026 Q1 public revenue', body: '…',
 *   period: { from: '2026-01-01', to: '2026-03-31' },
 *   lineItems: [{ category: 'advertising', description: 'Lift ads', amountFen: 1_250_000, direction: 'income' }] })
 */

/**
 * What is disclosed. `financial_statement` is the property fee income and spending (物业费收支), `public_revenue`
 * the income from common parts (公共收益: lift advertising, parking…), `major_matter` a major matter (重大事项:
 * major repair, maintenance-fund use, procurement, contract) that needs advance notice and a comment period.
 */
export const DisclosureKind = z.enum([
  'financial_statement',
  'public_revenue',
  'major_matter',
  'service_standard',
  'fee_basis',
  'notice',
])
export type DisclosureKind = z.infer<typeof DisclosureKind>

/** Kinds that are money statements: they need a period and at least one line item, and carry totals. */
export const FINANCIAL_DISCLOSURE_KINDS = ['financial_statement', 'public_revenue'] as const satisfies readonly DisclosureKind[]

/** `none` is the state before `DisclosureDrafted` and never stored. */
export const DisclosureStatus = z.enum(['draft', 'published', 'retracted'])
export type DisclosureStatus = z.infer<typeof DisclosureStatus>

/** Upper bounds that keep every amount and every total an exact JSON integer (see `MAX_LINE_ITEMS`). */
export const DisclosureLimit = {
  /** One line item: 10^13 fen = 100 billion yuan, beyond any estate's accounts. */
  amountFen: 10_000_000_000_000,
  /**
   * Line items per disclosure. 500 × 10^13 = 5 × 10^15 < 2^53 − 1, so every total (and the net, its difference) is
   * a safe integer and travels as a plain JSON number that any RFC 8785 implementation serialises the same way.
   * A statement longer than this is split by period or category.
   */
  lineItems: 500,
  attachments: 50,
} as const

/**
 * Money in integer fen (分, 1/100 yuan): a JSON integer, 0 ≤ amount ≤ 10^13. Floats (`100.5`), numbers JSON turns
 * into Infinity (`1e400`) and anything past the limit are rejected, so no amount is ever rounded.
 */
export const AmountFen = z
  .number({ error: 'an integer amount in fen' })
  .int('an integer amount in fen (no fractions of a fen)')
  .min(0, 'must not be negative')
  .max(DisclosureLimit.amountFen, `at most ${DisclosureLimit.amountFen} fen`)
export type AmountFen = z.infer<typeof AmountFen>

/** Whether a line item is money coming in or going out. */
export const LineItemDirection = z.enum(['income', 'expense'])
export type LineItemDirection = z.infer<typeof LineItemDirection>

/** The period a statement covers, calendar dates inclusive; `to` may not come before `from`. */
export const DisclosurePeriod = z
  .strictObject({ from: IsoDate, to: IsoDate })
  // YYYY-MM-DD strings order like the dates they name. A malformed date is reported on its own field only (zod runs
  // refinements past format issues), not also as a period that ends before it starts.
  .refine(
    (period) => !IsoDate.safeParse(period.from).success || !IsoDate.safeParse(period.to).success || period.from <= period.to,
    { path: ['to'], message: 'the period ends before it starts' },
  )
export type DisclosurePeriod = z.infer<typeof DisclosurePeriod>

export const DisclosureLineItem = z.strictObject({
  category: line(TextLimit.name),
  description: line(TextLimit.title),
  amountFen: AmountFen,
  direction: LineItemDirection,
})
export type DisclosureLineItem = z.infer<typeof DisclosureLineItem>

/** Lowercase hex SHA-256, the form every hash in this system takes. */
export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits (SHA-256)')
export type Sha256Hex = z.infer<typeof Sha256Hex>

/** A document published with the disclosure (invoice scans, contracts), identified by its hash. */
export const DisclosureAttachment = z.strictObject({
  name: line(TextLimit.title),
  sha256: Sha256Hex,
  sizeBytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
})
export type DisclosureAttachment = z.infer<typeof DisclosureAttachment>

/**
 * What a manager writes: the body of `POST /v1/disclosures`, of `…/revise` and the `content` of `…/corrections`.
 * Rules that depend on the kind or on the clock (a period for money statements, advance notice for a major
 * matter) are the decider's, answered as 422 with the rule named.
 */
export const DisclosureDraft = z.strictObject({
  kind: DisclosureKind,
  title: line(TextLimit.title),
  body: text(),
  period: DisclosurePeriod.optional(),
  lineItems: z.array(DisclosureLineItem).max(DisclosureLimit.lineItems).optional(),
  attachments: z.array(DisclosureAttachment).max(DisclosureLimit.attachments).optional(),
  /** When a major matter takes effect. */
  effectiveAt: IsoDateTime.optional(),
  /** When comments and objections close; a major matter's defaults to its `effectiveAt`. */
  commentPeriodEndsAt: IsoDateTime.optional(),
})
export type DisclosureDraft = z.infer<typeof DisclosureDraft>

/** A signed total in fen: the net may be negative. Bounded by `DisclosureLimit`, so always a safe integer. */
const TotalFen = z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER)

/** Totals the system computes from the line items; never entered by hand. */
export const DisclosureTotals = z.strictObject({
  incomeFen: TotalFen.min(0),
  expenseFen: TotalFen.min(0),
  /** incomeFen − expenseFen. */
  netFen: TotalFen,
})
export type DisclosureTotals = z.infer<typeof DisclosureTotals>

/**
 * One published version's content, exactly as stored in the event and returned by the API: its `contentHash` is
 * the lowercase hex SHA-256 of this object's RFC 8785 canonical JSON. Every member is always present (absent
 * optional values are `null`, absent lists are `[]`) so readers see one shape.
 */
export const DisclosureContent = z.strictObject({
  kind: DisclosureKind,
  title: z.string(),
  body: z.string(),
  period: z.strictObject({ from: IsoDate, to: IsoDate }).nullable(),
  lineItems: z.array(DisclosureLineItem),
  attachments: z.array(DisclosureAttachment),
  effectiveAt: IsoDateTime.nullable(),
  commentPeriodEndsAt: IsoDateTime.nullable(),
  totals: DisclosureTotals,
})
export type DisclosureContent = z.infer<typeof DisclosureContent>

/** The committee's finding on a published version: seen and agreed, or disputed. */
export const CommitteeReviewDecision = z.enum(['acknowledged', 'disputed'])
export type CommitteeReviewDecision = z.infer<typeof CommitteeReviewDecision>
