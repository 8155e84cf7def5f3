export const REDACTED = '[redacted]';

/**
 * A copy of `value` in which every object property whose name is in `keys` (compared case-insensitively, at any depth,
 * inside arrays too) has its value replaced by "[redacted]", whatever that value was.
 */
export function redact(value: unknown, keys: readonly string[]): unknown {
  const names = new Set(keys.map((k) => k.toLowerCase()));
  if (names.size === 0) return value;
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node)) {
        // defineProperty, not assignment: a "__proto__" key in the input must stay a plain property.
        Object.defineProperty(out, key, { value: names.has(key.toLowerCase()) ? REDACTED : walk(child), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return node;
  };
  return walk(value);
}
