import { Alert } from '@mantine/core';
import type { ReactNode } from 'react';
import { useOutletContext } from 'react-router';
import type { Me } from '../auth/session';

/** Renders its children for admins; anyone else is told plainly (the API refuses them anyway). */
export function AdminOnly({ what, children }: { what: string; children: ReactNode }) {
  const me = useOutletContext<Me>();
  if (me.role !== 'admin') {
    return (
      <Alert color="gray" variant="outline" title="Admins only" maw={700} mx="auto">
        Only admins can see or change {what}.
      </Alert>
    );
  }
  return <>{children}</>;
}
