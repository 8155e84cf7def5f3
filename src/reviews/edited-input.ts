import { MAX_INPUT_DEPTH, nestsDeeperThan } from '../sessions/protocol.js';
import { canonicalJson, eventInputSha256 } from '../policies/canonical-event.js';

/** A \u0000 escape in JSON text that is not itself an escaped backslash followed by "u0000". */
const NUL_ESCAPE = /(?<!\\)(?:\\\\)*\\u0000/;

/**
 * A reviewer's edited input, checked as an agent's event input is (the same limits, so the agent can store and run
 * what it is sent) and hashed as the agent will hash it: over the event's kind and tool and the edited input. Returns
 * the problem as a message for a 400, or the hash.
 */
export function checkEditedInput(
  input: unknown,
  event: { kind: 'tool' | 'llm'; tool: string | null },
  maxBytes: number,
): { ok: true; inputSha256: string } | { ok: false; message: string } {
  const json = JSON.stringify(input);
  if (nestsDeeperThan(json, MAX_INPUT_DEPTH)) return { ok: false, message: `input must not nest arrays and objects deeper than ${MAX_INPUT_DEPTH} levels` };
  if (NUL_ESCAPE.test(json)) return { ok: false, message: 'input cannot contain \\u0000' };
  const canonical = canonicalJson(input);
  if (Buffer.byteLength(canonical) > maxBytes) return { ok: false, message: `input must be at most ${maxBytes} bytes as JSON (the agents' frame limit)` };
  return { ok: true, inputSha256: eventInputSha256({ kind: event.kind, tool: event.tool, input }, canonical) };
}
