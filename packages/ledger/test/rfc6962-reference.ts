/**
 * RFC 6962 §2.1 written out literally (recursive MTH, PATH and SUBPROOF over an array of leaf inputs),
 * as an independent oracle for the O(log n) implementation. Quadratic; tests only.
 */
import { EMPTY_ROOT, leafHash, nodeHash, type Hash } from '../src/index.js'

function k(n: number): number {
  let p = 1
  while (p * 2 < n) p *= 2
  return p
}

export function mth(d: readonly Uint8Array[]): Hash {
  if (d.length === 0) return EMPTY_ROOT
  if (d.length === 1) return leafHash(d[0]!)
  const split = k(d.length)
  return nodeHash(mth(d.slice(0, split)), mth(d.slice(split)))
}

export function path(m: number, d: readonly Uint8Array[]): Hash[] {
  if (d.length <= 1) return []
  const split = k(d.length)
  return m < split
    ? [...path(m, d.slice(0, split)), mth(d.slice(split))]
    : [...path(m - split, d.slice(split)), mth(d.slice(0, split))]
}

function subproof(m: number, d: readonly Uint8Array[], b: boolean): Hash[] {
  const n = d.length
  if (m === n) return b ? [] : [mth(d)]
  const split = k(n)
  return m <= split
    ? [...subproof(m, d.slice(0, split), b), mth(d.slice(split))]
    : [...subproof(m - split, d.slice(split), false), mth(d.slice(0, split))]
}

export function proof(m: number, d: readonly Uint8Array[]): Hash[] {
  return subproof(m, d, true)
}
