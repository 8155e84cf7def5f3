import { createHash } from 'node:crypto';

/** The part of an agent event that policy sees and that `input_sha256` covers. */
export interface PolicyEvent {
  kind: 'tool' | 'llm';
  tool?: string | null;
  input?: unknown;
}

type Frame =
  | { array: readonly unknown[]; source: object; i: number }
  | { array?: undefined; object: Record<string, unknown>; keys: string[]; source: object; i: number };

/** `JSON.stringify` leaves these out of objects and writes them as `null` in arrays. */
function isAbsent(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/**
 * JSON with object keys sorted recursively (by UTF-16 code units, as RFC 8785 does), no whitespace; undefined input
 * is encoded as null. Otherwise it follows `JSON.stringify` exactly: numbers in their shortest round-trip form,
 * non-finite numbers as null, undefined/functions left out of objects and written as null in arrays, `toJSON` honoured
 * (dates), lone surrogates escaped, cycles and BigInts refused with a TypeError.
 *
 * Iterative, not recursive: a 64 KiB frame can nest tens of thousands of levels deep, which must not overflow the stack.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  const stack: Frame[] = [];
  const onPath = new Set<object>();

  const write = (raw: unknown): void => {
    let v = raw;
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      v = (v as { toJSON(): unknown }).toJSON();
    }
    if (v instanceof Number || v instanceof String || v instanceof Boolean) v = v.valueOf();
    if (v === null || isAbsent(v)) {
      out.push('null');
    } else if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') {
      // JSON.stringify of a number is its shortest round-trip form, and 'null' for NaN/±Infinity.
      out.push(JSON.stringify(v));
    } else if (typeof v === 'bigint') {
      throw new TypeError('canonicalJson: BigInt values have no JSON form');
    } else {
      const source = v as object;
      if (onPath.has(source)) throw new TypeError('canonicalJson: cyclic structure');
      onPath.add(source);
      if (Array.isArray(source)) {
        out.push('[');
        stack.push({ array: source, source, i: 0 });
      } else {
        const object = source as Record<string, unknown>;
        const keys = Object.keys(object)
          .filter((k) => !isAbsent(object[k]))
          .sort();
        out.push('{');
        stack.push({ object, keys, source, i: 0 });
      }
    }
  };

  write(value);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    if (frame.array) {
      if (frame.i === frame.array.length) {
        out.push(']');
        onPath.delete(frame.source);
        stack.pop();
        continue;
      }
      if (frame.i > 0) out.push(',');
      write(frame.array[frame.i++]);
    } else {
      if (frame.i === frame.keys.length) {
        out.push('}');
        onPath.delete(frame.source);
        stack.pop();
        continue;
      }
      if (frame.i > 0) out.push(',');
      const key = frame.keys[frame.i++];
      out.push(JSON.stringify(key), ':');
      write(frame.object[key]);
    }
  }
  return out.join('');
}

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

/** SHA-256 hex of canonicalJson({ kind, tool: tool ?? null, input: input ?? null }), over its UTF-8 bytes. */
export function eventInputSha256(event: PolicyEvent, inputJson: string = canonicalJson(event.input ?? null)): string {
  // canonicalJson({ kind, tool, input }) written out: the keys in sorted order, the input's text reused, so a caller
  // that already canonicalised the input does not do it twice.
  const canonical = `{"input":${inputJson},"kind":${JSON.stringify(event.kind)},"tool":${JSON.stringify(event.tool ?? null)}}`;
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}
