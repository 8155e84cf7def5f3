import { MAX_RECORDED_CHANGES, diffRules, ruleContent } from './policy-diff.js';

const rule = (action: 'allow' | 'block' | 'review', tool: string | null = null) => ruleContent({ kind: null, tool, input_pattern: null, action, reason: null, timeout_decision: null });

describe('diffRules', () => {
  it('lists changed, added and removed positions, and nothing for identical rules', () => {
    const { changes, total } = diffRules([rule('allow', 'a'), rule('block', 'b'), rule('review')], [rule('allow', 'a'), rule('review', 'b')]);
    expect(total).toBe(2);
    expect(changes).toEqual([
      { position: 1, before: rule('block', 'b'), after: rule('review', 'b') },
      { position: 2, before: rule('review'), after: null },
    ]);
    expect(diffRules([rule('allow')], [rule('allow')])).toEqual({ changes: [], total: 0 });
    expect(diffRules([], [rule('block')]).changes).toEqual([{ position: 0, before: null, after: rule('block') }]);
  });

  it('keeps at most MAX_RECORDED_CHANGES changes and counts the rest', () => {
    const many = Array.from({ length: MAX_RECORDED_CHANGES + 10 }, (_, i) => rule('block', `t${i}`));
    const { changes, total } = diffRules([], many);
    expect(changes).toHaveLength(MAX_RECORDED_CHANGES);
    expect(total).toBe(MAX_RECORDED_CHANGES + 10);
  });
});
