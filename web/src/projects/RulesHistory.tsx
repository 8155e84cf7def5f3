import { Alert, List, Loader, Paper, Stack, Text, Title } from '@mantine/core';
import { type PolicyChange, useRulesHistory } from './projects';

type Content = NonNullable<PolicyChange['changes'][number]['before']>;

function describe(rule: Content): string {
  const parts = [rule.action, rule.kind ?? 'any kind', rule.tool ? `tool ${rule.tool}` : null, rule.input_pattern ? `input /${rule.input_pattern}/` : null, rule.reason ? `“${rule.reason}”` : null];
  return parts.filter(Boolean).join(', ');
}

/** Who saved the rules, when, and what each save changed (from the audit log). */
export function RulesHistory({ projectId }: { projectId: string }) {
  const history = useRulesHistory(projectId);
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="history-title">
      <Title order={2} size="h4" id="history-title" mb="sm">
        History
      </Title>
      {history.isPending && <Loader aria-label="Loading the history" />}
      {history.isError && (
        <Alert color="red" variant="outline" role="alert">
          {history.error.message}
        </Alert>
      )}
      {history.isSuccess && history.data.items.length === 0 && <Text size="sm">The rules were never changed.</Text>}
      <Stack gap="md" component="ol" style={{ listStyle: 'none', padding: 0, margin: 0 }} aria-label="Changes, newest first">
        {history.data?.items.map((entry) => (
          <li key={entry.id}>
            <Text size="sm" fw={600}>
              {entry.actor_email ?? 'a deleted user'} · {new Date(entry.at).toLocaleString()}
            </Text>
            {entry.previous_default_action && entry.previous_default_action !== entry.default_action && (
              <Text size="sm">
                Default action: {entry.previous_default_action} → {entry.default_action}
              </Text>
            )}
            {entry.change_count === null ? (
              <Text size="sm">Saved {entry.rule_count} rules (what changed was not recorded then).</Text>
            ) : entry.change_count === 0 ? (
              <Text size="sm">Saved {entry.rule_count} rules, none changed.</Text>
            ) : (
              <List size="sm" spacing={2}>
                {entry.changes.map((c) => (
                  <List.Item key={c.position}>
                    Rule {c.position + 1}:{' '}
                    {c.before && c.after ? `${describe(c.before)} → ${describe(c.after)}` : c.after ? `added (${describe(c.after)})` : `removed (${describe(c.before!)})`}
                  </List.Item>
                ))}
                {entry.change_count > entry.changes.length && <List.Item>and {entry.change_count - entry.changes.length} more</List.Item>}
              </List>
            )}
          </li>
        ))}
      </Stack>
    </Paper>
  );
}
