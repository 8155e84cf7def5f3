import { Alert, Group, Loader, NativeSelect, Paper, SegmentedControl, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useProjectNames } from '../reviews/reviews';
import { DecisionTimeChart, EventsPerHourChart, ExpiriesChart } from './OverviewCharts';
import { type Overview, type OverviewRange, useOverview } from './overview';

function Stat({ label, value }: { label: string; value: number }) {
  return (
    <Paper withBorder p="md">
      <Text size="sm" c="dark.6">
        {label}
      </Text>
      <Text fz={28} fw={700}>
        {value.toLocaleString()}
      </Text>
    </Paper>
  );
}

function TopTable<T>({ title, rows, columns, empty }: { title: string; rows: T[]; columns: [string, (row: T) => string | number][]; empty: string }) {
  return (
    <Paper withBorder p="md" component="section" aria-label={title}>
      <Title order={2} size="h4" mb="xs">
        {title}
      </Title>
      {rows.length === 0 ? (
        <Text size="sm" c="dark.6">
          {empty}
        </Text>
      ) : (
        <Table>
          <Table.Thead>
            <Table.Tr>
              {columns.map(([name]) => (
                <Table.Th key={name}>{name}</Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((row, i) => (
              <Table.Tr key={i}>
                {columns.map(([name, cell]) => (
                  <Table.Td key={name}>{cell(row)}</Table.Td>
                ))}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Paper>
  );
}

function OverviewBody({ overview }: { overview: Overview }) {
  const { totals } = overview;
  return (
    <>
      <SimpleGrid cols={{ base: 2, md: 4 }}>
        <Stat label="Events" value={totals.events} />
        <Stat label="Blocked" value={totals.blocks} />
        <Stat label="Pending reviews" value={totals.pending_reviews} />
        <Stat label="Live sessions" value={totals.live_sessions} />
      </SimpleGrid>
      <EventsPerHourChart overview={overview} />
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <DecisionTimeChart overview={overview} />
        <ExpiriesChart overview={overview} />
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        <TopTable title="Most blocked tools" rows={overview.top_blocked_tools} empty="Nothing blocked." columns={[['Tool', (r) => r.tool], ['Blocks', (r) => r.blocks]]} />
        <TopTable
          title="Rules that blocked most"
          rows={overview.top_blocking_rules}
          empty="No rule blocked anything."
          columns={[['Rule', (r) => r.reason ?? r.tool ?? r.rule_id.slice(0, 8)], ['Blocks', (r) => r.blocks]]}
        />
        <TopTable
          title="Most active agents"
          rows={overview.most_active_agents}
          empty="No events."
          columns={[['Agent', (r) => r.agent_id ?? '(no agent_id)'], ['Events', (r) => r.events], ['Blocked', (r) => r.blocks]]}
        />
      </SimpleGrid>
    </>
  );
}

/** What the agents did over the last day or week: totals, charts and the top lists, all projects or one. */
export function OverviewPage() {
  const projects = useProjectNames();
  const [project, setProject] = useState('');
  const [range, setRange] = useState<OverviewRange>('24h');
  const overview = useOverview(range, project);

  useEffect(() => {
    document.title = 'Overview · Arbiter';
    return () => {
      document.title = 'Arbiter';
    };
  }, []);

  return (
    <Stack maw={1200} mx="auto" gap="md">
      <Title order={1}>Overview</Title>
      <Group align="flex-end" gap="sm" wrap="wrap" role="search" aria-label="Filter the overview">
        <NativeSelect
          label="Project"
          value={project}
          onChange={(e) => setProject(e.currentTarget.value)}
          data={[{ label: 'All projects', value: '' }, ...[...(projects.data ?? new Map<string, string>())].map(([id, name]) => ({ label: name, value: id }))]}
        />
        <Stack gap={4}>
          <Text size="sm" fw={500} id="overview-range-label">
            Window
          </Text>
          <SegmentedControl
            aria-labelledby="overview-range-label"
            value={range}
            onChange={(v) => setRange(v as OverviewRange)}
            data={[
              { label: 'Last 24 hours', value: '24h' },
              { label: 'Last 7 days', value: '7d' },
            ]}
          />
        </Stack>
      </Group>
      {overview.isPending && <Loader aria-label="Loading the overview" />}
      {overview.isError && (
        <Alert color="red" variant="outline" role="alert" title="Could not load the overview">
          {overview.error.message}
        </Alert>
      )}
      {overview.data && <OverviewBody overview={overview.data} />}
    </Stack>
  );
}
