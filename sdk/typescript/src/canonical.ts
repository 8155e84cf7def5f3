// The canonical form of an agent's action and its hash: the one source of these rules. The server imports this module
// (src/policies/canonical-event.ts re-exports it), so the hash an SDK checks a verdict against and the one the server
// writes into it cannot drift apart.
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

/** Whether `JSON.stringify` leaves this value out of an object (and writes it as `null` in an array). */
export function isAbsent(value: unknown): boolean {
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

/** SHA-256 hex of canonicalJson({ kind, tool: tool ?? null, input: input ?? null }), over its UTF-8 bytes. */
export function eventInputSha256(event: PolicyEvent, inputJson: string = canonicalJson(event.input ?? null)): string {
  // canonicalJson({ kind, tool, input }) written out: the keys in sorted order, the input's text reused, so a caller
  // that already canonicalised the input does not do it twice.
  const canonical = `{"input":${inputJson},"kind":${JSON.stringify(event.kind)},"tool":${JSON.stringify(event.tool ?? null)}}`;
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}
