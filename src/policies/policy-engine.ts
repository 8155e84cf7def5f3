import { RE2JS } from 're2js';
import { type PolicyEvent, inputTexts } from './canonical-event.js';

export type RuleAction = 'allow' | 'block' | 'review';

/** A rule as stored, and as recorded on events it decided (`rule_snapshot`). */
export interface RuleSnapshot {
  id: string;
  position: number;
  kind: 'tool' | 'llm' | null;
  /** Glob over the tool name: `*` any run of characters (dots included), `?` one character, anchored. */
  tool: string | null;
  /** RE2 regular expression (no flags), tested against each key and scalar of the event's input (see `inputTexts`). */
  input_pattern: string | null;
  action: RuleAction;
  reason: string | null;
  timeout_decision: 'allow' | 'block' | null;
}

/** A rule with its glob and pattern compiled once, when the policy is loaded. */
export interface CompiledRule {
  snapshot: RuleSnapshot;
  toolMatcher: ToolGlob | null;
  inputMatcher: RE2JS | null;
  /** Why a stored pattern does not compile (saved under older rules); such a rule fails closed, see `matchRules`. */
  patternError: string | null;
}

/** A paused project (its kill switch): every new event is blocked, whatever the rules and the mode say. */
export interface ProjectPause {
  at: Date;
  /** The email of the person who paused it. */
  by: string;
  reason: string | null;
}

export interface CompiledPolicy {
  projectId: string;
  mode: 'monitor' | 'block' | 'hitl';
  pause?: ProjectPause | null;
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
  /** Set when the rules could not be evaluated: a review of such an event must not be allowed by its expiry. */
  timeoutDecision?: 'block';
  /** The project is paused: a block in every mode (see applyMode). */
  paused?: true;
}

export interface PolicySettings {
  projectId: string;
  mode: CompiledPolicy['mode'];
  pause?: ProjectPause | null;
  defaultAction: RuleAction;
  timeoutDecision: CompiledPolicy['timeoutDecision'];
  reviewTimeoutSeconds: number;
  reviewMaxTimeoutSeconds: number;
}

/**
 * The characters of keys and values one event's patterns may test in all (UTF-16 code units, each distinct text
 * counted once). An input with more is not evaluated but refused (see `matchRules`); no part of it goes untested.
 * Only reachable with ARBITER_WS_MAX_FRAME_BYTES raised: a 64 KiB frame holds at most about 280 Ki characters.
 */
export const MAX_INPUT_TEXT_CHARS = 1024 * 1024;

/** A pattern may compile to at most this many RE2 instructions (`x{1000}` is 1,002), checked when rules are saved. */
export const MAX_PATTERN_PROGRAM_SIZE = 2000;

/**
 * A project's patterns together may compile to at most this many instructions, checked when rules are saved. RE2
 * takes 2-20 µs per instruction to compile (`(?i)[a-z]{1,999}` is 2,000 instructions and ~30 ms), on the thread that
 * answers every project: this keeps a whole policy's compile to a few hundred milliseconds, once per change.
 */
export const MAX_POLICY_PROGRAM_SIZE = 20_000;

/**
 * The most work one test of one pattern against one text may cost: (program size + 16) × (text length + 1). RE2 runs
 * in time linear in both (measured worst case about 9 ns per unit here, so ~70 ms), but one test cannot be stopped
 * midway, so a test above this is not started. E.g. a 64 Ki-character value can be tested by a pattern of up to 106
 * instructions; a 2,000-instruction pattern by values up to 3,900 characters.
 */
export const MAX_TEST_WORK = 8_000_000;

/** Measured time one event's pattern tests may take in all, checked between tests; past it the event is refused. */
export const MATCH_BUDGET_MS = 100;

/**
 * The clock is read once this much work (as MAX_TEST_WORK counts it, ~1 ms at worst) has been done since the last
 * read: a typical event never reads it (a read costs as much as a few pattern tests), a costly one every millisecond.
 */
export const MATCH_CLOCK_EVERY_WORK = 100_000;

/**
 * A tool glob, matched without regular expressions: `*` any run of characters, `?` one character (a whole code
 * point), everything else literal, anchored to the whole name. A RegExp built from `*a*a*a*a*b` backtracks for tens of
 * seconds over a 200-character tool name; this takes at most glob × name steps.
 */
export class ToolGlob {
  private readonly glob: string[];

  constructor(readonly source: string) {
    this.glob = [...source];
  }

  test(name: string): boolean {
    const glob = this.glob;
    const text = [...name];
    let g = 0;
    let t = 0;
    // Where the last `*` was, and the text position it is taken to cover up to: on a mismatch that `*` takes one more
    // character. Earlier stars never need revisiting (the classic greedy wildcard match).
    let star = -1;
    let starText = 0;
    while (t < text.length) {
      if (g < glob.length && (glob[g] === '?' || (glob[g] !== '*' && glob[g] === text[t]))) {
        g++;
        t++;
      } else if (g < glob.length && glob[g] === '*') {
        star = g++;
        starText = t;
      } else if (star >= 0) {
        g = star + 1;
        t = ++starText;
      } else {
        return false;
      }
    }
    while (g < glob.length && glob[g] === '*') g++;
    return g === glob.length;
  }
}

/**
 * Compiles an input pattern with RE2 (linear-time matching: no lookaround, no backreferences). Throws an Error saying
 * why when RE2 cannot compile it or it is over MAX_PATTERN_PROGRAM_SIZE instructions.
 */
export function compileInputPattern(pattern: string): RE2JS {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (err) {
    // RE2JS says e.g. "error parsing regexp: invalid or unsupported Perl syntax: `(?=`".
    const message = (err as Error).message.replace(/^error parsing regexp: /, '');
    throw new Error(`${message} (patterns are RE2 syntax: no lookaround, no backreferences)`);
  }
  const size = compiled.programSize();
  if (size > MAX_PATTERN_PROGRAM_SIZE) throw new Error(`too complex: it compiles to ${size} instructions, at most ${MAX_PATTERN_PROGRAM_SIZE}`);
  return compiled;
}

export type PatternCompiler = (pattern: string) => RE2JS;

/**
 * Compiled patterns by their text, the least recently used dropped once they hold over `maxInstructions`: a policy
 * reloaded (its TTL ran out, or another project's change) or saved again compiles only the patterns that are new.
 * Shared by projects, which is safe: a compiled pattern holds no state a match depends on (only RE2's DFA cache).
 */
export class PatternMemo {
  private readonly entries = new Map<string, RE2JS>();
  private instructions = 0;

  constructor(private readonly maxInstructions: number) {}

  /** compileInputPattern, remembered; it throws as that does (a failure is not remembered). */
  readonly compile: PatternCompiler = (pattern) => {
    const known = this.entries.get(pattern);
    if (known) {
      this.entries.delete(pattern);
      this.entries.set(pattern, known);
      return known;
    }
    const compiled = compileInputPattern(pattern);
    this.entries.set(pattern, compiled);
    this.instructions += compiled.programSize();
    for (const [oldest, entry] of this.entries) {
      if (this.instructions <= this.maxInstructions || oldest === pattern) break;
      this.entries.delete(oldest);
      this.instructions -= entry.programSize();
    }
    return compiled;
  };

  get size(): number {
    return this.entries.size;
  }
}

export function compileRule(snapshot: RuleSnapshot, compilePattern: PatternCompiler = compileInputPattern): CompiledRule {
  let inputMatcher: RE2JS | null = null;
  let patternError: string | null = null;
  if (snapshot.input_pattern !== null) {
    try {
      inputMatcher = compilePattern(snapshot.input_pattern);
    } catch (err) {
      patternError = (err as Error).message;
    }
  }
  return { snapshot, toolMatcher: snapshot.tool === null ? null : new ToolGlob(snapshot.tool), inputMatcher, patternError };
}

/** Compiles a project's settings and its rules (in `position` order) into what `matchRules` runs. */
export function compilePolicy(settings: PolicySettings, rules: RuleSnapshot[], compilePattern: PatternCompiler = compileInputPattern): CompiledPolicy {
  const ordered = [...rules].sort((a, b) => a.position - b.position);
  return { ...settings, rules: ordered.map((rule) => compileRule(rule, compilePattern)) };
}

function ruleReason(rule: RuleSnapshot): string {
  return rule.reason ?? `matched rule ${rule.position}`;
}

/** The verdict's reason while a project is paused: it names who paused it, and why when they said. */
export function pausedReason(pause: ProjectPause): string {
  return `project paused by ${pause.by}${pause.reason ? `: ${pause.reason}` : ''}`;
}

/** Refused, never allowed: `review` is a block in block mode and a review that expires as a block in hitl mode. */
function tooCostly(why: string): RuleMatch {
  return { action: 'review', reason: `input not evaluated: ${why}`, rule: null, timeoutDecision: 'block' };
}

export interface MatchOptions {
  /** Milliseconds, monotonic; tests pass their own clock. */
  now?: () => number;
  budgetMs?: number;
}

const monotonicNow = (): number => performance.now();

/**
 * What the rules say about `event`. A rule matches when every field it sets matches: `kind` equal; the `tool` glob
 * matches the whole tool name (an event without a tool never matches a rule that sets one); the input pattern finds a
 * match in at least one of the input's keys and scalars (`inputTexts`). First match wins; no match → the default.
 *
 * Fails closed. A rule whose stored pattern does not compile matches if it blocks or reviews, and never if it
 * allows. An input whose texts pass MAX_INPUT_TEXT_CHARS, a test above MAX_TEST_WORK, or tests running past the time
 * budget stop evaluation with a `review` (see `tooCostly`), never the default.
 *
 * A paused project's events are blocked before any rule is looked at.
 */
export function matchRules(policy: CompiledPolicy, event: PolicyEvent, options: MatchOptions = {}): RuleMatch {
  if (policy.pause) return { action: 'block', reason: pausedReason(policy.pause), rule: null, paused: true };
  const now = options.now ?? monotonicNow;
  const budgetMs = options.budgetMs ?? MATCH_BUDGET_MS;
  let texts: Set<string> | null | undefined;
  let started: number | undefined;
  let work = 0;
  let clockAt = MATCH_CLOCK_EVERY_WORK;
  for (const { snapshot, toolMatcher, inputMatcher, patternError } of policy.rules) {
    if (snapshot.kind !== null && snapshot.kind !== event.kind) continue;
    if (toolMatcher) {
      if (event.tool === null || event.tool === undefined || !toolMatcher.test(event.tool)) continue;
    }
    if (patternError !== null) {
      if (snapshot.action === 'allow') continue;
      return { action: snapshot.action, reason: `rule ${snapshot.position}'s input_pattern cannot be evaluated, so it is taken to match`, rule: snapshot };
    }
    if (inputMatcher) {
      // Collecting is linear in the frame, which the WebSocket limits bound; the budget is for the tests.
      texts ??= inputTexts(event.input ?? null, MAX_INPUT_TEXT_CHARS);
      if (texts === null) return tooCostly(`its keys and values are over ${MAX_INPUT_TEXT_CHARS} characters`);
      const size = inputMatcher.programSize() + 16;
      let found = false;
      for (const text of texts) {
        const cost = size * (text.length + 1);
        if (cost > MAX_TEST_WORK) {
          return tooCostly(`a value of ${text.length} characters is too long for rule ${snapshot.position}'s input_pattern`);
        }
        // The clock starts at the first read, so up to MATCH_CLOCK_EVERY_WORK before it goes uncounted (~1 ms).
        if (started === undefined && work + cost >= clockAt) started = now();
        found = inputMatcher.test(text);
        work += cost;
        if (work >= clockAt) {
          clockAt = work + MATCH_CLOCK_EVERY_WORK;
          if (now() - started! > budgetMs && !found) return tooCostly(`testing the rules took over ${budgetMs} ms`);
        }
        if (found) break;
      }
      if (!found) continue;
    }
    return { action: snapshot.action, reason: ruleReason(snapshot), rule: snapshot };
  }
  return { action: policy.defaultAction, reason: 'default action', rule: null };
}
