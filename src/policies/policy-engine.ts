import { canonicalJson, type PolicyEvent } from './canonical-event.js';

export type RuleAction = 'allow' | 'block' | 'review';

/** A rule as stored, and as recorded on events it decided (`rule_snapshot`). */
export interface RuleSnapshot {
  id: string;
  position: number;
  kind: 'tool' | 'llm' | null;
  /** Glob over the tool name: `*` any run of characters (dots included), `?` one character, anchored. */
  tool: string | null;
  /** JavaScript regular expression (no flags) tested against the event input's canonical JSON text. */
  input_pattern: string | null;
  action: RuleAction;
  reason: string | null;
  timeout_decision: 'allow' | 'block' | null;
}

/** A rule with its glob and pattern compiled once, when the policy is loaded. */
export interface CompiledRule {
  snapshot: RuleSnapshot;
  toolMatcher: RegExp | null;
  inputMatcher: RegExp | null;
}

export interface CompiledPolicy {
  projectId: string;
  mode: 'monitor' | 'block' | 'hitl';
  defaultAction: RuleAction;
  timeoutDecision: 'allow' | 'block';
  reviewTimeoutSeconds: number;
  reviewMaxTimeoutSeconds: number;
  rules: CompiledRule[];
}

export interface RuleMatch {
  action: RuleAction;
  reason: string;
  rule: RuleSnapshot | null;
}

export interface PolicySettings {
  projectId: string;
  mode: CompiledPolicy['mode'];
  defaultAction: RuleAction;
  timeoutDecision: CompiledPolicy['timeoutDecision'];
  reviewTimeoutSeconds: number;
  reviewMaxTimeoutSeconds: number;
}

/**
 * Input patterns see at most this many characters (UTF-16 code units) of the input's canonical JSON: the first 64 Ki.
 * It bounds the work one event can cost. A pattern meant to catch something past that point does not see it; put
 * such checks on fields that sort early, or keep inputs small. (Patterns are admin-written; the cap bounds the text,
 * not a pattern's own backtracking.)
 */
export const MAX_PATTERN_INPUT_CHARS = 64 * 1024;

/**
 * The glob as an anchored regular expression: `*` → any run of characters, `?` → one character (a whole code point);
 * everything else literal.
 */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const ch of glob) {
    if (ch === '*') source += '[\\s\\S]*';
    else if (ch === '?') source += '[\\s\\S]';
    else source += ch.replace(/[\\^$.|+()[\]{}/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'u');
}

/** Throws a SyntaxError when `pattern` is not a valid JavaScript regular expression. */
export function compileInputPattern(pattern: string): RegExp {
  return new RegExp(pattern);
}

export function compileRule(snapshot: RuleSnapshot): CompiledRule {
  return {
    snapshot,
    toolMatcher: snapshot.tool === null ? null : globToRegExp(snapshot.tool),
    inputMatcher: snapshot.input_pattern === null ? null : compileInputPattern(snapshot.input_pattern),
  };
}

/** Compiles a project's settings and its rules (in `position` order) into what `matchRules` runs. */
export function compilePolicy(settings: PolicySettings, rules: RuleSnapshot[]): CompiledPolicy {
  const ordered = [...rules].sort((a, b) => a.position - b.position);
  return { ...settings, rules: ordered.map(compileRule) };
}

function ruleReason(rule: RuleSnapshot): string {
  return rule.reason ?? `matched rule ${rule.position}`;
}

/**
 * What the rules say about `event`. A rule matches when every field it sets matches: `kind` equal; the `tool` glob
 * matches the whole tool name (an event without a tool never matches a rule that sets one); the input pattern finds a
 * match in the input's canonical JSON (capped at MAX_PATTERN_INPUT_CHARS; pass `inputJson` when it is already
 * computed). First match wins; no match → the default.
 */
export function matchRules(policy: CompiledPolicy, event: PolicyEvent, inputJson?: string): RuleMatch {
  let inputText: string | undefined;
  for (const { snapshot, toolMatcher, inputMatcher } of policy.rules) {
    if (snapshot.kind !== null && snapshot.kind !== event.kind) continue;
    if (toolMatcher) {
      if (event.tool === null || event.tool === undefined || !toolMatcher.test(event.tool)) continue;
    }
    if (inputMatcher) {
      inputText ??= (inputJson ?? canonicalJson(event.input ?? null)).slice(0, MAX_PATTERN_INPUT_CHARS);
      if (!inputMatcher.test(inputText)) continue;
    }
    return { action: snapshot.action, reason: ruleReason(snapshot), rule: snapshot };
  }
  return { action: policy.defaultAction, reason: 'default action', rule: null };
}
