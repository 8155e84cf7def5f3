// The canonical JSON and the action hash are the SDK's (@arbiter-ai/sdk/canonical): one implementation for the agents'
// side and the server's. What only the server needs, the texts a rule's pattern is tested against, is here.
import { isAbsent } from '@arbiter-ai/sdk/canonical';

export { canonicalJson, eventInputSha256, type PolicyEvent } from '@arbiter-ai/sdk/canonical';

/**
 * The texts a rule's input pattern is tested against: every object key and every scalar of `value`, at any depth, each
 * on its own and decoded (a string is its characters, not JSON-escaped); numbers, booleans and null as canonicalJson
 * writes them (`9e20` → `900000000000000000000`, `22.0` → `22`), so a pattern sees one spelling of a number however the
 * agent wrote it. Undefined input is null, as in the hash. Duplicates are tested once. Returns null when their total
 * length passes `maxChars` (the caller refuses such an input instead of testing part of it).
 *
 * Iterative, like canonicalJson, and an object met twice is walked once (its texts are already in the set).
 */
export function inputTexts(value: unknown, maxChars: number): Set<string> | null {
  const texts = new Set<string>();
  const seen = new Set<object>();
  const pending: unknown[] = [value];
  let chars = 0;
  const add = (text: string): boolean => {
    if (texts.has(text)) return true;
    chars += text.length;
    if (chars > maxChars) return false;
    texts.add(text);
    return true;
  };
  while (pending.length > 0) {
    let v = pending.pop();
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      v = (v as { toJSON(): unknown }).toJSON();
    }
    if (v instanceof Number || v instanceof String || v instanceof Boolean) v = v.valueOf();
    if (typeof v === 'string') {
      if (!add(v)) return null;
    } else if (v === null || isAbsent(v) || typeof v === 'number' || typeof v === 'boolean') {
      // The top level and array items: canonicalJson writes undefined as null there (object members are left out below).
      // String() of a finite number is JSON.stringify's shortest round-trip form, and cheaper.
      const text = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : 'null') : typeof v === 'boolean' ? String(v) : 'null';
      if (!add(text)) return null;
    } else if (typeof v === 'object') {
      if (seen.has(v)) continue;
      seen.add(v);
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) pending.push(v[i]);
      } else {
        const object = v as Record<string, unknown>;
        for (const key of Object.keys(object)) {
          if (isAbsent(object[key])) continue;
          if (!add(key)) return null;
          pending.push(object[key]);
        }
      }
    }
    // A BigInt has no JSON form; canonicalJson refuses it before matching is reached.
  }
  return texts;
}
