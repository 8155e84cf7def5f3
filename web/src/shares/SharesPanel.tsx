import { Alert, Badge, Button, CopyButton, Group, Modal, NativeSelect, NumberInput, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import type { Me } from '../auth/session';
import { type CreatedShare, type ShareLink, useCreateShare, useRevokeShare, useSessionShares, useShareViews } from './shares';

const EXPIRY: { label: string; seconds: number }[] = [
  { label: '1 hour', seconds: 3600 },
  { label: '1 day', seconds: 86400 },
  { label: '7 days', seconds: 7 * 86400 },
  { label: '30 days', seconds: 30 * 86400 },
  { label: '90 days', seconds: 90 * 86400 },
];
const STATE_COLOR: Record<string, string> = { valid: 'teal.9', expired: 'gray.8', exhausted: 'orange.9', revoked: 'red.9' };

interface Props {
  sessionId: string;
  me: Me;
  /** The project's redact_keys: their values never leave the server through a link. */
  redactKeys?: string[];
}

/** A session's share links: create one (its link shown once), each link's views and state, its view log, revoke. */
export function SharesPanel({ sessionId, me, redactKeys }: Props) {
  const links = useSessionShares(sessionId);
  const create = useCreateShare(sessionId);
  const revoke = useRevokeShare(sessionId);
  const [expiry, setExpiry] = useState(String(EXPIRY[2].seconds));
  const [maxViews, setMaxViews] = useState<string | number>('');
  const [created, setCreated] = useState<CreatedShare | null>(null);
  const [logOf, setLogOf] = useState<ShareLink | null>(null);
  const mayCreate = me.role === 'admin' || me.role === 'reviewer';
  const mayManage = (l: ShareLink) => me.role === 'admin' || l.created_by === me.id;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ expires_in_seconds: Number(expiry), max_views: maxViews === '' ? null : Number(maxViews) }, { onSuccess: (share) => setCreated(share) });
  };

  return (
    <Stack gap="sm" component="section" aria-labelledby="share-links-title">
      <Title order={2} size="h3" id="share-links-title">
        Share links
      </Title>
      {mayCreate && (
        <form onSubmit={submit} aria-label="New share link">
          <Group align="flex-end" gap="sm" wrap="wrap">
            <NativeSelect label="Expires in" data={EXPIRY.map((x) => ({ label: x.label, value: String(x.seconds) }))} value={expiry} onChange={(e) => setExpiry(e.currentTarget.value)} />
            <NumberInput label="Maximum views" description="Empty: no limit" min={1} max={1_000_000} allowDecimal={false} value={maxViews} onChange={setMaxViews} w={160} />
            <Button type="submit" loading={create.isPending}>
              Create share link
            </Button>
          </Group>
          <Text size="xs" c="dark.6" mt={4}>
            Redacted in the shared transcript: {redactKeys?.length ? redactKeys.join(', ') : 'no keys'} (the project’s settings).
          </Text>
        </form>
      )}
      {create.isError && (
        <Alert color="red" variant="outline" role="alert" title="Could not create the link">
          {create.error.message}
        </Alert>
      )}
      {created && (
        <Alert color="teal.9" variant="outline" title="Link created: copy it now, it is not shown again" withCloseButton closeButtonLabel="Dismiss" onClose={() => setCreated(null)}>
          <Group align="flex-end" gap="xs" wrap="nowrap">
            <TextInput label="Share link" readOnly value={created.url} style={{ flex: 1 }} onFocus={(e) => e.currentTarget.select()} />
            <CopyButton value={created.url}>{({ copied, copy }) => <Button onClick={copy} variant="default">{copied ? 'Copied' : 'Copy link'}</Button>}</CopyButton>
          </Group>
        </Alert>
      )}
      {links.data && links.data.length === 0 && <Text size="sm">No share links for this session.</Text>}
      {links.data && links.data.length > 0 && (
        <Table.ScrollContainer minWidth={620} type="native" tabIndex={0} role="region" aria-label="Share links of this session">
          <Table striped withTableBorder fz="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Created</Table.Th>
                <Table.Th>Expires</Table.Th>
                <Table.Th>Views</Table.Th>
                <Table.Th>Remaining</Table.Th>
                <Table.Th>State</Table.Th>
                <Table.Th>Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {links.data.map((l) => (
                <Table.Tr key={l.id}>
                  <Table.Td>{new Date(l.created_at).toLocaleString()}</Table.Td>
                  <Table.Td>{new Date(l.expires_at).toLocaleString()}</Table.Td>
                  <Table.Td>{l.max_views === null ? `${l.view_count}` : `${l.view_count} of ${l.max_views}`}</Table.Td>
                  <Table.Td>{l.remaining_views === null ? 'unlimited' : l.remaining_views}</Table.Td>
                  <Table.Td>
                    <Badge color={STATE_COLOR[l.state]} variant="filled">
                      {l.state}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    {mayManage(l) && (
                      <Group gap={4} wrap="nowrap">
                        <Button size="compact-sm" variant="default" onClick={() => setLogOf(l)}>
                          View log
                        </Button>
                        {l.state !== 'revoked' && (
                          <Button size="compact-sm" color="red.9" variant="outline" loading={revoke.isPending && revoke.variables === l.id} onClick={() => revoke.mutate(l.id)}>
                            Revoke
                          </Button>
                        )}
                      </Group>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {revoke.isError && (
        <Alert color="red" variant="outline" role="alert" title="Could not revoke the link">
          {revoke.error.message}
        </Alert>
      )}
      <ViewLog link={logOf} onClose={() => setLogOf(null)} />
    </Stack>
  );
}

function ViewLog({ link, onClose }: { link: ShareLink | null; onClose(): void }) {
  const views = useShareViews(link?.id ?? null);
  return (
    <Modal opened={link !== null} onClose={onClose} title="Views of this link" centered size="lg" closeButtonProps={{ 'aria-label': 'Close' }}>
      {views.isError && <Text c="red.9">Could not load the views: {views.error.message}</Text>}
      {views.data && views.data.length === 0 && <Text size="sm">Nobody has opened it yet.</Text>}
      {views.data && views.data.length > 0 && (
        <Table fz="sm" aria-label="View log">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>When</Table.Th>
              <Table.Th>Viewer (address hash)</Table.Th>
              <Table.Th>Browser</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {views.data.map((v) => (
              <Table.Tr key={v.id}>
                <Table.Td>{new Date(v.at).toLocaleString()}</Table.Td>
                <Table.Td ff="monospace">{v.client_hash.slice(0, 12)}</Table.Td>
                <Table.Td style={{ overflowWrap: 'anywhere' }}>{v.user_agent ?? 'unknown'}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Modal>
  );
}
