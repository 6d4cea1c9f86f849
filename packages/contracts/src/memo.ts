/**
 * Memoizes a pure function of one object by that object's identity. The only kind of cache a module may hold at its
 * top level: its entries are invisible (the same input object always gives the same output, whoever asks), they
 * go with their key, and nothing can be put in or taken out from outside. Anything else that remembers lives in
 * an instance owned by a plugin or a worker.
 *
 * @example
 * const compile = weakMemo((calendar: BusinessCalendar) => expensiveCompile(calendar))
 */
export function weakMemo<Key extends object, Value>(compute: (key: Key) => Value): (key: Key) => Value {
  const memo = new WeakMap<Key, Value>()
  return (key) => {
    if (memo.has(key)) return memo.get(key) as Value
    const value = compute(key)
    memo.set(key, value)
    return value
  }
}
