import type { CompiledPolicy } from '../policies/policy-engine.js';

/**
 * Which of `tools` (tool names as events carry them) the policy blocks whatever their input, so an MCP gateway may
 * hide them from its agent. Conservative: a tool is always blocked only when the first rule that can match a `tool`
 * event by that name has no input pattern (and no broken one) and blocks, in a mode that lets rules block (not
 * monitor). A pause is temporary and the default action is not a rule: neither hides anything.
 */
export function alwaysBlockedTools(policy: CompiledPolicy, tools: readonly string[]): string[] {
  if (policy.mode === 'monitor') return [];
  return tools.filter((tool) => {
    for (const { snapshot, toolMatcher, patternError } of policy.rules) {
      if (snapshot.kind !== null && snapshot.kind !== 'tool') continue;
      if (toolMatcher && !toolMatcher.test(tool)) continue;
      return snapshot.action === 'block' && snapshot.input_pattern === null && patternError === null;
    }
    return false;
  });
}
