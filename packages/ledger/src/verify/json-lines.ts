import { isAscii } from 'node:buffer'
import { createReadStream } from 'node:fs'

const CHUNK_BYTES = 1 << 22

/**
 * The file in runs of whole lines: each region ends just before a newline (or at the end of the file) and the
 * next one starts just after it. Read in large chunks, because a readline event per line of a 200,000-event
 * export is a good part of what verifying it costs.
 */
async function* lineRegions(file: string): AsyncGenerator<Buffer> {
  // The start of a line that runs on into the next chunk.
  let pending: Buffer[] = []
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES })) {
    const bytes = chunk as Buffer
    const end = bytes.lastIndexOf(0x0a)
    if (end < 0) {
      pending.push(bytes)
      continue
    }
    if (pending.length === 0) yield bytes.subarray(0, end)
    else {
      // Only the line that straddles the chunks is copied.
      const cut = bytes.indexOf(0x0a)
      yield Buffer.concat([...pending, bytes.subarray(0, cut)])
      if (cut < end) yield bytes.subarray(cut + 1, end)
    }
    pending = end + 1 < bytes.length ? [bytes.subarray(end + 1)] : []
  }
  if (pending.length > 0) yield Buffer.concat(pending)
}

/**
 * The lines of a file in batches, `first` being the number of `lines[0]` (from 1). Lines end as readline ends
 * them with crlfDelay Infinity: at \n, \r\n or a lone \r.
 */
export async function* readLineBatches(file: string): AsyncGenerator<{ lines: string[]; first: number }> {
  let next = 1
  for await (const region of lineRegions(file)) {
    const lines = splitLines(decode(region))
    yield { lines, first: next }
    next += lines.length
  }
}

/**
 * The lines that contain `needle` or a \u escape (which could spell it), numbered as `readLineBatches` numbers
 * them; the others are counted, not decoded. `counted.lines` ends as the file's number of lines.
 */
export async function* linesMentioning(
  file: string,
  needle: string,
  counted: { lines: number } = { lines: 0 },
): AsyncGenerator<{ text: string; line: number }> {
  const bytes = Buffer.from(needle)
  let next = 1
  for await (const region of lineRegions(file)) {
    if (region.indexOf(bytes) < 0 && region.indexOf('\\u') < 0 && region.indexOf(0x0d) < 0) {
      next += countNewlines(region) + 1
      counted.lines = next - 1
      continue
    }
    const lines = splitLines(decode(region))
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]!
      if (text.includes(needle) || text.includes('\\u')) yield { text, line: next + i }
    }
    next += lines.length
    counted.lines = next - 1
  }
}

/** Lines in a file, without decoding them (a lone \r counts as text here; it only matters for progress). */
export async function countLines(file: string): Promise<number> {
  let lines = 0
  for await (const region of lineRegions(file)) lines += countNewlines(region) + 1
  return lines
}

function countNewlines(bytes: Buffer): number {
  let count = 0
  for (let at = bytes.indexOf(0x0a); at >= 0; at = bytes.indexOf(0x0a, at + 1)) count++
  return count
}

/** UTF-8 text of bytes that end at a line break (a newline byte is never inside a multi-byte character). */
function decode(bytes: Buffer): string {
  // Exports are mostly ASCII, where Latin-1 decoding gives the same string and is a plain copy.
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8')
}

function splitLines(text: string): string[] {
  const lines = text.split('\n')
  if (!text.includes('\r')) return lines
  return lines.flatMap((l) => (l.includes('\r') ? (l.endsWith('\r') ? l.slice(0, -1) : l).split('\r') : [l]))
}
