import { Alert, Button, Checkbox, Group, List, Modal, Paper, Stack, Text, Textarea } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import type { Me } from '../auth/session';
import { useBulkDecision } from './bulk';
import { type Review, reviewName } from './reviews';

interface Props {
  me: Me;
  reviews: Review[];
  picked: Set<string>;
  onPick(picked: Set<string>): void;
  /** A dialog is open: the page's shortcuts stay off. */
  onDialog(open: boolean): void;
}

const RESULT_COLOR = { decided: 'teal.9', settled: 'gray.8', error: 'red.9' } as const;

/** Select all, approve or deny the selected reviews after one confirmation, and each one's result. */
export function BulkBar({ me, reviews, picked, onPick, onDialog }: Props) {
  const bulk = useBulkDecision(me);
  const [confirming, setConfirming] = useState<'approve' | 'deny' | null>(null);
  const [reason, setReason] = useState('');
  // What the confirmation named: a review settled elsewhere meanwhile stays in, and its result says who settled it.
  const [targets, setTargets] = useState<Review[]>([]);
  const chosen = reviews.filter((r) => picked.has(r.id));
  const all = reviews.length > 0 && chosen.length === reviews.length;

  const open = (decision: 'approve' | 'deny') => {
    setReason('');
    setTargets(chosen);
    setConfirming(decision);
    onDialog(true);
  };
  const close = () => {
    setConfirming(null);
    onDialog(false);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!confirming) return;
    void bulk.run(targets, confirming, reason.trim() || undefined).then(() => onPick(new Set()));
    close();
  };
  const n = chosen.length;
  const plural = `${targets.length} review${targets.length === 1 ? '' : 's'}`;

  return (
    <Stack gap="xs">
      {reviews.length > 0 && (
        <Paper withBorder p="xs" radius="md">
          <Group justify="space-between" gap="xs" wrap="wrap">
            <Checkbox
              label="Select all"
              checked={all}
              indeterminate={n > 0 && !all}
              onChange={(e) => onPick(e.currentTarget.checked ? new Set(reviews.map((r) => r.id)) : new Set())}
            />
            <Group gap="xs">
              <Text size="sm" c="dark.6" aria-live="polite">
                {n} selected
              </Text>
              <Button size="xs" color="teal.9" disabled={n === 0 || bulk.running} onClick={() => open('approve')}>
                Approve selected
              </Button>
              <Button size="xs" color="red.9" disabled={n === 0 || bulk.running} onClick={() => open('deny')}>
                Deny selected
              </Button>
            </Group>
          </Group>
        </Paper>
      )}
      {bulk.results.length > 0 && (
        <Alert variant="outline" color="gray.8" title="Bulk decision" withCloseButton closeButtonLabel="Dismiss" onClose={bulk.clear} role="status">
          <List size="sm" spacing={2} aria-label="Bulk decision results">
            {bulk.results.map((r) => (
              <List.Item key={r.review.id} c={RESULT_COLOR[r.outcome]}>
                {r.text}
              </List.Item>
            ))}
          </List>
        </Alert>
      )}
      <Modal opened={confirming !== null} onClose={close} title={<Text fw={700}>{confirming === 'deny' ? `Deny ${plural}?` : `Approve ${plural}?`}</Text>} centered closeButtonProps={{ 'aria-label': 'Close' }}>
        <form onSubmit={submit}>
          <Stack>
            <List size="sm" aria-label="Selected reviews">
              {targets.map((r) => (
                <List.Item key={r.id}>{reviewName(r)}</List.Item>
              ))}
            </List>
            {confirming === 'deny' && (
              <Textarea label="Reason" description="Every agent receives it with its block verdict." autosize minRows={2} maxLength={2000} data-autofocus value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
            )}
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" color={confirming === 'deny' ? 'red.9' : 'teal.9'} data-autofocus={confirming === 'approve' ? true : undefined}>
                {confirming === 'deny' ? `Deny ${plural}` : `Approve ${plural}`}
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </Stack>
  );
}
