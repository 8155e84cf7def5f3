import { Alert, Button, Code, Group, Loader, NativeSelect, Paper, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { type FormEvent, useEffect, useMemo, useState } from 'react';
import { useProjects } from '../projects/projects';
import { AdminOnly } from '../users/AdminOnly';
import { useUsers } from '../users/users';
import { type AuditFilters, exportUrl, useAuditPage } from './audit';

/** The audit log (admins): filtered by actor, action, project and time, paged, and exported whole as CSV or JSON lines. */
export function AuditPage() {
  useEffect(() => {
    document.title = 'Audit log · Arbiter';
    return () => {
      document.title = 'Arbiter';
    };
  }, []);
  return (
    <AdminOnly what="the audit log">
      <AuditLog />
    </AdminOnly>
  );
}

/** A datetime-local value (the browser's local time) as ISO-8601 UTC, or undefined when empty or unreadable. */
function isoOf(local: string): string | undefined {
  if (!local) return undefined;
  const at = new Date(local);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

function AuditLog() {
  const [filters, setFilters] = useState<AuditFilters>({});
  // The cursors of the pages before this one: "Newer" pops, "Older" pushes.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useAuditPage(filters, cursor);
  const users = useUsers();
  const projects = useProjects();
  const emails = useMemo(() => new Map(users.data?.map((u) => [u.id, u.email])), [users.data]);
  const projectNames = useMemo(() => new Map(projects.data?.map((p) => [p.id, p.name])), [projects.data]);

  const apply = (next: AuditFilters) => {
    setFilters(next);
    setCursors([undefined]);
  };

  return (
    <Stack maw={1200} mx="auto" gap="md">
      <Title order={1}>Audit log</Title>
      <FilterForm users={users.data ?? []} projects={projects.data ?? []} onApply={apply} />
      <Group>
        <Button component="a" href={exportUrl('csv', filters)} download variant="light">
          Export CSV
        </Button>
        <Button component="a" href={exportUrl('jsonl', filters)} download variant="light">
          Export JSON lines
        </Button>
        <Text size="sm" c="dark.6">
          Every entry the filters match, not only this page.
        </Text>
      </Group>
      <Paper withBorder p="md">
        {page.isPending && <Loader aria-label="Loading the audit log" />}
        {page.isError && (
          <Alert color="red" variant="outline" role="alert">
            {page.error.message}
          </Alert>
        )}
        {page.data && page.data.items.length === 0 && <Text size="sm">No entries match.</Text>}
        {page.data && page.data.items.length > 0 && (
          <Table.ScrollContainer minWidth={900} type="native" tabIndex={0} role="region" aria-label="Audit entries">
            <Table withTableBorder fz="sm" verticalSpacing={4}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>When</Table.Th>
                  <Table.Th>Actor</Table.Th>
                  <Table.Th>Action</Table.Th>
                  <Table.Th>Target</Table.Th>
                  <Table.Th>Details</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {page.data.items.map((e) => {
                  const details = e.details as Record<string, unknown>;
                  const project = typeof details.project_id === 'string' ? projectNames.get(details.project_id) : undefined;
                  return (
                    <Table.Tr key={e.id}>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>{new Date(e.at).toLocaleString()}</Table.Td>
                      <Table.Td style={{ overflowWrap: 'anywhere' }}>{e.actor_id ? (emails.get(e.actor_id) ?? `${e.actor_type} ${e.actor_id}`) : e.actor_type}</Table.Td>
                      <Table.Td>{e.action}</Table.Td>
                      <Table.Td style={{ overflowWrap: 'anywhere' }}>
                        {e.target_type ? `${e.target_type} ${e.target_type === 'user' ? (emails.get(e.target_id ?? '') ?? e.target_id) : e.target_id}` : '—'}
                        {project ? ` · ${project}` : ''}
                      </Table.Td>
                      <Table.Td>
                        <Code style={{ overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }}>{JSON.stringify(e.details)}</Code>
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        <Group justify="space-between" mt="sm">
          <Button variant="default" size="xs" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
            Newer
          </Button>
          <Text size="sm" aria-live="polite">
            Page {cursors.length}
          </Text>
          <Button variant="default" size="xs" disabled={!page.data?.next_cursor} onClick={() => page.data?.next_cursor && setCursors([...cursors, page.data.next_cursor])}>
            Older
          </Button>
        </Group>
      </Paper>
    </Stack>
  );
}

function FilterForm({ users, projects, onApply }: { users: { id: string; email: string }[]; projects: { id: string; name: string }[]; onApply: (filters: AuditFilters) => void }) {
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const [project, setProject] = useState('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const actionValid = action === '' || /^[a-z0-9_.]+(\.\*)?$/.test(action.trim());

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!actionValid) return;
    onApply({ actor: actor || undefined, action: action.trim() || undefined, project: project || undefined, since: isoOf(since), until: isoOf(until) });
  };

  return (
    <Paper withBorder p="md" component="form" onSubmit={submit} aria-labelledby="filters-title">
      <Title order={2} size="h4" id="filters-title" mb="sm">
        Filters
      </Title>
      <Group align="start" grow wrap="wrap">
        <NativeSelect label="Actor" value={actor} onChange={(e) => setActor(e.currentTarget.value)} data={[{ value: '', label: 'Anyone' }, ...users.map((u) => ({ value: u.id, label: u.email }))]} miw={200} />
        <TextInput
          label="Action"
          description="auth.login, or a prefix: api_key.*"
          value={action}
          onChange={(e) => setAction(e.currentTarget.value)}
          error={actionValid ? undefined : 'An action such as auth.login, or a prefix such as api_key.*'}
          miw={200}
        />
        <NativeSelect label="Project" value={project} onChange={(e) => setProject(e.currentTarget.value)} data={[{ value: '', label: 'Any project' }, ...projects.map((p) => ({ value: p.id, label: p.name }))]} miw={200} />
      </Group>
      <Group align="end" mt="sm" wrap="wrap">
        <TextInput label="From" type="datetime-local" value={since} onChange={(e) => setSince(e.currentTarget.value)} />
        <TextInput label="Until" type="datetime-local" value={until} onChange={(e) => setUntil(e.currentTarget.value)} />
        <Button type="submit">Apply filters</Button>
      </Group>
    </Paper>
  );
}
