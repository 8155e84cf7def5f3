import { Alert, Badge, Button, Group, Loader, Stack, Table, Text } from '@mantine/core';
import { type Delivery, useDeliveries, useSendTest } from './webhooks';

const STATUS_COLOR: Record<Delivery['status'], string> = { pending: 'gray.7', retrying: 'orange.9', delivered: 'teal.9', failed: 'red.9' };

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

/** One webhook's newest deliveries, and the button that sends it a test event. */
export function DeliveryLog({ projectId, webhookId, url }: { projectId: string; webhookId: string; url: string }) {
  const deliveries = useDeliveries(projectId, webhookId);
  const sendTest = useSendTest(projectId, webhookId);
  return (
    <Stack gap="xs">
      <Group>
        <Button size="xs" variant="light" onClick={() => sendTest.mutate()} loading={sendTest.isPending} aria-label={`Send a test event to ${url}`}>
          Send a test event
        </Button>
        <Button size="xs" variant="default" onClick={() => void deliveries.refetch()} loading={deliveries.isFetching && !deliveries.isPending}>
          Refresh the log
        </Button>
      </Group>
      <div aria-live="polite">{sendTest.isSuccess && <Text size="sm">Test event queued; it shows in the log below as it is delivered.</Text>}</div>
      {sendTest.isError && (
        <Alert color="red" variant="outline" role="alert">
          {sendTest.error.message}
        </Alert>
      )}
      {deliveries.isPending && <Loader size="sm" aria-label="Loading the delivery log" />}
      {deliveries.isError && (
        <Alert color="red" variant="outline" role="alert">
          {deliveries.error.message}
        </Alert>
      )}
      {deliveries.data && deliveries.data.items.length === 0 && <Text size="sm">No deliveries yet.</Text>}
      {deliveries.data && deliveries.data.items.length > 0 && (
        <Table.ScrollContainer minWidth={760} type="native" tabIndex={0} role="region" aria-label={`Delivery log of ${url}`}>
          <Table withTableBorder fz="sm" verticalSpacing={4}>
            <Table.Caption>Newest first; finished deliveries are kept for 7 days</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Event</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Attempts</Table.Th>
                <Table.Th>Queued</Table.Th>
                <Table.Th>Next retry</Table.Th>
                <Table.Th>Last error</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {deliveries.data.items.map((d) => (
                <Table.Tr key={d.id}>
                  <Table.Td>{d.event_type}</Table.Td>
                  <Table.Td>
                    <Badge variant="outline" color={STATUS_COLOR[d.status]} c="dark.8">
                      {d.status}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{d.attempts}</Table.Td>
                  <Table.Td>{when(d.created_at)}</Table.Td>
                  <Table.Td>{when(d.next_attempt_at)}</Table.Td>
                  <Table.Td style={{ overflowWrap: 'anywhere' }}>{d.last_error ?? '—'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
