import type { DraftRule, Policy } from './projects';

/** A rule being edited: every field a string ('' for unset), and a key that stays with it when it moves. */
export interface EditableRule {
  key: string;
  kind: '' | 'tool' | 'llm';
  tool: string;
  input_pattern: string;
  action: 'allow' | 'block' | 'review';
  reason: string;
  timeout_decision: '' | 'allow' | 'block';
}

let nextKey = 0;
const newKey = () => `rule-${++nextKey}`;

export function emptyRule(): EditableRule {
  return { key: newKey(), kind: 'tool', tool: '', input_pattern: '', action: 'block', reason: '', timeout_decision: '' };
}

export function editableRules(policy: Policy): EditableRule[] {
  return policy.rules.map((r) => ({
    key: newKey(),
    kind: r.kind ?? '',
    tool: r.tool ?? '',
    input_pattern: r.input_pattern ?? '',
    action: r.action,
    reason: r.reason ?? '',
    timeout_decision: r.timeout_decision ?? '',
  }));
}

/** What the API takes: unset fields left out. */
export function draftRules(rules: EditableRule[]): DraftRule[] {
  return rules.map((r) => ({
    action: r.action,
    ...(r.kind ? { kind: r.kind } : {}),
    ...(r.tool.trim() ? { tool: r.tool.trim() } : {}),
    ...(r.input_pattern ? { input_pattern: r.input_pattern } : {}),
    ...(r.reason.trim() ? { reason: r.reason.trim() } : {}),
    ...(r.timeout_decision ? { timeout_decision: r.timeout_decision } : {}),
  }));
}

/** `rules` with the rule at `from` moved to `to`. */
export function moved<T>(rules: T[], from: number, to: number): T[] {
  if (to < 0 || to >= rules.length || from === to) return rules;
  const next = [...rules];
  const [rule] = next.splice(from, 1);
  next.splice(to, 0, rule);
  return next;
}
