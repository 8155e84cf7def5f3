import { Button, Group, Modal, Stack, Text, Textarea } from '@mantine/core';
import { type FormEvent, type ReactNode, useState } from 'react';
import type { Me } from '../auth/session';
import { EditApproveDialog } from './EditApproveDialog';
import { useQueryClient } from '@tanstack/react-query';
import { type Review, type ReviewDetail, detailKey, reviewName, useDecide, useExtend } from './reviews';

export interface ReviewActions {
  approve(review: Review): void;
  deny(review: Review): void;
  extend(review: Review): void;
  /** Edit & approve: opens the JSON editor (only where the project allows edits). */
  edit(review: Review): void;
  allowsEdits(review: Review): boolean;
  busy(review: Review): boolean;
  /** A dialog is open: page shortcuts stay off. */
  dialogOpen: boolean;
  dialogs: ReactNode;
}

/** Approve, deny (asking for the reason the agent will get) and extend, for the inbox and the review page alike. */
export function useReviewActions(me: Me): ReviewActions {
  const decide = useDecide(me);
  const extend = useExtend();
  const [denying, setDenying] = useState<Review | null>(null);
  const [reason, setReason] = useState('');
  const [editing, setEditing] = useState<Review | null>(null);
  const client = useQueryClient();
  // A review that came by the feed does not carry its project's allow_edits; its detail (each card loads it) does.
  const allowsEdits = (review: Review) => review.allow_edits || client.getQueryData<ReviewDetail>(detailKey(review.id))?.allow_edits === true;

  const submitDeny = (e: FormEvent) => {
    e.preventDefault();
    if (!denying) return;
    decide.mutate({ review: denying, decision: 'deny', note: reason.trim() || undefined });
    setDenying(null);
    setReason('');
  };

  const dialogs = (
    <>
    <EditApproveDialog
      review={editing}
      onClose={() => setEditing(null)}
      onSubmit={(input, note) => {
        if (editing) decide.mutate({ review: editing, decision: 'approve', input, note });
        setEditing(null);
      }}
    />
    <Modal opened={denying !== null} onClose={() => setDenying(null)} title={<Text fw={700}>Deny {denying ? reviewName(denying) : ''}</Text>} centered closeButtonProps={{ 'aria-label': 'Close' }}>
      <form onSubmit={submitDeny}>
        <Stack>
          <Textarea
            label="Reason"
            description="The agent receives it with the block verdict."
            placeholder="e.g. not on production; use the staging cluster"
            autosize
            minRows={2}
            maxLength={2000}
            data-autofocus
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) submitDeny(e);
            }}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setDenying(null)}>
              Cancel
            </Button>
            <Button type="submit" color="red.9">
              Deny
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
    </>
  );

  return {
    approve: (review) => decide.mutate({ review, decision: 'approve' }),
    deny: (review) => {
      setReason('');
      setDenying(review);
    },
    extend: (review) => extend.mutate(review),
    edit: (review) => allowsEdits(review) && setEditing(review),
    allowsEdits,
    busy: (review) => (decide.isPending && decide.variables?.review.id === review.id) || (extend.isPending && extend.variables?.id === review.id),
    dialogOpen: denying !== null || editing !== null,
    dialogs,
  };
}

export const canDecide = (me: Me) => me.role === 'admin' || me.role === 'reviewer';
