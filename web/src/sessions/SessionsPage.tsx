import { Alert, Anchor, Badge, Group, Loader, NativeSelect, SegmentedControl, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { useProjectNames } from '../reviews/reviews';
import { formatAgo, useNow } from '../reviews/time';
import { type SessionFilter, useSessionFeed, useSessions } from './sessions';

/** A datetime-local field's value as ISO-8601 (the browser's local time), or undefined when empty or incomplete. */
function isoOf(local: string): string | undefined {
  const t = Date.parse(local);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/** Every agent session, newest first, narrowed by project, live or ended, label and time; live from the feed. */
export function SessionsPage() {
  useSessionFeed();
  const projects = useProjectNames();
  const now = useNow();
  const [project, setProject] = useState('');
  const [state, setState] = useState<'all' | 'live' | 'ended'>('all');
  const [label, setLabel] = useState('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [typedLabel] = useDebouncedValue(label.trim(), 250);
  const filter: SessionFilter = {
    ...(project ? { project } : {}),
    ...(state !== 'all' ? { state } : {}),
    ...(typedLabel ? { label: typedLabel } : {}),
    ...(isoOf(since) ? { since: isoOf(since) } : {}),
    ...(isoOf(until) ? { until: isoOf(until) } : {}),
  };
  const sessions = useSessions(filter);
  const items = sessions.data?.items ?? [];

  useEffect(() => {
    document.title = 'Sessions · Arbiter';
    return () => {
      document.title = 'Arbiter';
    };
  }, []);

  return (
    <Stack maw={1100} mx="auto" gap="md">
      <Title order={1}>Sessions</Title>
      <Group align="flex-end" gap="sm" wrap="wrap" role="search" aria-label="Filter sessions">
        <NativeSelect
          label="Project"
          value={project}
          onChange={(e) => setProject(e.currentTarget.value)}
          data={[{ label: 'All projects', value: '' }, ...[...(projects.data ?? new Map<string, string>())].map(([id, name]) => ({ label: name, value: id }))]}
        />
        <Stack gap={4}>
          <Text size="sm" fw={500} id="session-state-label">
            State
          </Text>
          <SegmentedControl
            aria-labelledby="session-state-label"
            value={state}
            onChange={(v) => setState(v as typeof state)}
            data={[
              { label: 'All', value: 'all' },
              { label: 'Live', value: 'live' },
              { label: 'Ended', value: 'ended' },
            ]}
          />
        </Stack>
        <TextInput label="Label" placeholder="e.g. deploy-run" value={label} onChange={(e) => setLabel(e.currentTarget.value)} />
        <TextInput label="Seen since" type="datetime-local" value={since} onChange={(e) => setSince(e.currentTarget.value)} />
        <TextInput label="Started before" type="datetime-local" value={until} onChange={(e) => setUntil(e.currentTarget.value)} />
      </Group>
      {sessions.isPending && <Loader aria-label="Loading sessions" />}
      {sessions.isError && (
        <Alert color="red" variant="outline" role="alert" title="Could not load the sessions">
          {sessions.error.message}
        </Alert>
      )}
      <Text size="sm" c="dark.6" aria-live="polite">
        {sessions.isSuccess ? (items.length === 0 ? 'No session matches.' : `${items.length}${sessions.data.next_cursor ? '+' : ''} sessions, newest first.`) : ' '}
      </Text>
      {items.length > 0 && (
        <Table.ScrollContainer minWidth={700} type="native" tabIndex={0} role="region" aria-label="Sessions list">
          <Table striped withTableBorder highlightOnHover fz="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Label</Table.Th>
                <Table.Th>Project</Table.Th>
                <Table.Th>Agent</Table.Th>
                <Table.Th>State</Table.Th>
                <Table.Th>Started</Table.Th>
                <Table.Th>Last seen</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((s) => (
                <Table.Tr key={s.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/sessions/${s.id}`} ff="monospace" style={{ overflowWrap: 'anywhere' }}>
                      {s.external_id}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{projects.data?.get(s.project_id) ?? 'project'}</Table.Td>
                  <Table.Td>{s.agent_id ?? '—'}</Table.Td>
                  <Table.Td>
                    <Badge variant="dot" color={s.connected ? 'teal.8' : 'gray.7'} c="dark.8">
                      {s.connected ? 'Live' : 'Ended'}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{new Date(s.created_at).toLocaleString()}</Table.Td>
                  <Table.Td>{formatAgo(s.last_seen_at, now)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
