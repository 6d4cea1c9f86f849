import { canonicalJson, sha256Hex } from '@pc/ledger'
import { DisclosureLimit } from '@pc/contracts'
import type { DisclosureContent, DisclosureDraft, DisclosureLineItem, DisclosureTotals } from '@pc/contracts'
import { RuleViolationError } from '../errors.js'

/**
 * The content a disclosure publishes, and its hash. The content is built once, stored whole in the event and
 * returned by the API as stored, so `contentHash(content)` is what anyone recomputes from the API's answer.
 *
 * @example
 * const content = buildContent(draft)
 * const hash = contentHash(content) // lowercase hex SHA-256 of RFC 8785 canonical JSON
 */

/**
 * Sums the line items exactly. Amounts are JSON integers of at most 10^13 fen and there are at most
 * `DisclosureLimit.lineItems` (500) of them, so every total is below 2^53 and is stored as a plain JSON integer;
 * the sums are still taken in BigInt, and a total that would not be a safe integer (only reachable by bypassing the
 * schema) is refused with `TOTAL_OUT_OF_RANGE` rather than rounded. Amounts that are not integers in
 * [0, 10^13] are refused with `AMOUNT_INVALID`, naming `<fieldPrefix>lineItems.<i>.amountFen`.
 *
 * @example
 * computeTotals([{ category: 'ads', description: 'Lift ads', amountFen: 500, direction: 'income' }])
 * // { incomeFen: 500, expenseFen: 0, netFen: 500 }
 */
export function computeTotals(lineItems: readonly DisclosureLineItem[], fieldPrefix = ''): DisclosureTotals {
  let income = 0n
  let expense = 0n
  lineItems.forEach((item, i) => {
    const amount: unknown = item.amountFen
    if (
      typeof amount !== 'number' ||
      !Number.isSafeInteger(amount) ||
      amount < 0 ||
      amount > DisclosureLimit.amountFen
    ) {
      throw new RuleViolationError(
        'AMOUNT_INVALID',
        `amountFen must be an integer from 0 to ${DisclosureLimit.amountFen} fen, got ${String(amount)}`,
        `${fieldPrefix}lineItems.${i}.amountFen`,
      )
    }
    if (item.direction === 'income') income += BigInt(amount)
    else expense += BigInt(amount)
  })
  const max = BigInt(Number.MAX_SAFE_INTEGER)
  if (income > max || expense > max) {
    throw new RuleViolationError(
      'TOTAL_OUT_OF_RANGE',
      'the line items add up to more than can be represented exactly; split the disclosure',
      `${fieldPrefix}lineItems`,
    )
  }
  return { incomeFen: Number(income), expenseFen: Number(expense), netFen: Number(income - expense) }
}

/**
 * The published content of a draft: every member present (absent values `null`, absent lists `[]`), copied
 * field by field so nothing but the schema's members reaches the hash, with the system-computed `totals`.
 * A major matter's comment period, when the draft leaves it open, ends when the matter takes effect — the latest
 * the rules allow — and is written into the content so readers see the actual deadline.
 */
export function buildContent(draft: DisclosureDraft, fieldPrefix = ''): DisclosureContent {
  const lineItems = (draft.lineItems ?? []).map((item) => ({
    category: item.category,
    description: item.description,
    amountFen: item.amountFen,
    direction: item.direction,
  }))
  const effectiveAt = draft.effectiveAt ?? null
  const commentPeriodEndsAt = draft.commentPeriodEndsAt ?? (draft.kind === 'major_matter' ? effectiveAt : null)
  return {
    kind: draft.kind,
    title: draft.title,
    body: draft.body,
    period: draft.period === undefined ? null : { from: draft.period.from, to: draft.period.to },
    lineItems,
    attachments: (draft.attachments ?? []).map((a) => ({ name: a.name, sha256: a.sha256, sizeBytes: a.sizeBytes })),
    effectiveAt,
    commentPeriodEndsAt,
    totals: computeTotals(lineItems, fieldPrefix),
  }
}

/**
 * `contentHash`: lowercase hex SHA-256 of the RFC 8785 canonical JSON of the content, exactly as the API returns
 * it. Key order does not matter; every string, number and `null` does.
 */
export function contentHash(content: DisclosureContent): string {
  return sha256Hex(canonicalJson(content))
}
