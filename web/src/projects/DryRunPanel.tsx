import { Alert, Button, Group, NativeSelect, Paper, Stack, Table, Text, TextInput, Textarea, Title } from '@mantine/core';
import { useState } from 'react';
import type { ApiError } from '../api/client';
import type { DryRunResult, DryRunSample } from './projects';

interface Props {
  running: boolean;
  result: DryRunResult | undefined;
  error: ApiError | null;
  /** Runs the draft against the sample (when given) and the project's last events. */
  onRun: (sample: DryRunSample | undefined) => void;
}

const DECISION_WORD = { allow: 'allow', block: 'block', review: 'review' } as const;

/** The draft tested before saving: against an event typed here, and against the project's last 1,000 events. */
export function DryRunPanel({ running, result, error, onRun }: Props) {
  const [kind, setKind] = useState<'tool' | 'llm'>('tool');
  const [tool, setTool] = useState('');
  const [input, setInput] = useState('');
  const [inputError, setInputError] = useState<string | null>(null);

  const run = (withSample: boolean) => {
    if (!withSample) return onRun(undefined);
    let parsed: unknown = null;
    if (input.trim()) {
      try {
        parsed = JSON.parse(input);
      } catch (err) {
        setInputError(`not JSON: ${(err as Error).message}`);
        return;
      }
    }
    setInputError(null);
    onRun({ kind, ...(tool.trim() ? { tool: tool.trim() } : {}), input: parsed as DryRunSample['input'] });
  };

  const recent = result?.recent;
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="dry-run-title">
      <Title order={2} size="h4" id="dry-run-title" mb="sm">
        Dry run
      </Title>
      <Stack gap="sm">
        <Group align="flex-end" wrap="wrap" gap="sm">
          <NativeSelect
            label="Sample kind"
            value={kind}
            onChange={(e) => setKind(e.currentTarget.value as 'tool' | 'llm')}
            data={[
              { label: 'Tool', value: 'tool' },
              { label: 'LLM', value: 'llm' },
            ]}
          />
          <TextInput label="Sample tool" placeholder="shell.exec" value={tool} onChange={(e) => setTool(e.currentTarget.value)} />
        </Group>
        <Textarea
          label="Sample input (JSON)"
          placeholder='{"cmd": "rm -rf /tmp/x"}'
          autosize
          minRows={2}
          value={input}
          onChange={(e) => setInput(e.currentTarget.value)}
          error={inputError}
          styles={{ input: { fontFamily: 'monospace' } }}
        />
        <Group gap="sm">
          <Button onClick={() => run(true)} loading={running} variant="light">
            Dry run with this sample
          </Button>
          <Button onClick={() => run(false)} loading={running} variant="default">
            Dry run on recent events only
          </Button>
        </Group>
        {error && (
          <Alert color="red" variant="outline" role="alert" title="The draft was refused">
            {error.message}
          </Alert>
        )}
        <div aria-live="polite">
          {result && (
            <Stack gap="xs">
              {result.sample && (
                <Text data-testid="dry-run-sample">
                  Sample: <strong>{DECISION_WORD[result.sample.decision]}</strong>
                  {result.sample.rule_index !== null ? ` by rule ${result.sample.rule_index + 1}` : result.sample.not_evaluated ? ' (input not evaluated)' : ' (default action)'} — {result.sample.reason}
                </Text>
              )}
              {recent && (
                <Text data-testid="dry-run-tally">
                  Over the last {recent.evaluated} events ({result.mode} mode): would have blocked {recent.blocked}, sent {recent.reviewed} to review, allowed{' '}
                  {recent.allowed}; changed {recent.changed} verdicts.
                  {recent.not_evaluated > 0 ? ` ${recent.not_evaluated} inputs would not be evaluated.` : ''}
                  {recent.stopped_early ? ' Stopped early: the dry run reached its time bound.' : ''}
                </Text>
              )}
            </Stack>
          )}
        </div>
        {recent && recent.changed_examples.length > 0 && (
          <Table.ScrollContainer minWidth={600} type="native" tabIndex={0} role="region" aria-label="Changed verdicts">
            <Table withTableBorder fz="sm">
              <Table.Caption>Some of the changed verdicts, newest first</Table.Caption>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Event</Table.Th>
                  <Table.Th>Tool</Table.Th>
                  <Table.Th>Was</Table.Th>
                  <Table.Th>Would be</Table.Th>
                  <Table.Th>Why</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {recent.changed_examples.map((c) => (
                  <Table.Tr key={`${c.session_id}/${c.event_id}`}>
                    <Table.Td ff="monospace" style={{ overflowWrap: 'anywhere' }}>
                      {c.event_id}
                    </Table.Td>
                    <Table.Td>{c.tool ?? c.kind}</Table.Td>
                    <Table.Td>{c.recorded}</Table.Td>
                    <Table.Td>{c.draft}</Table.Td>
                    <Table.Td>{c.rule_index !== null ? `rule ${c.rule_index + 1}: ${c.reason}` : c.reason}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
    </Paper>
  );
}
