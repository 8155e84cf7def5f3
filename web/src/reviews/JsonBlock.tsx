import { Button, Code, Stack } from '@mantine/core';
import { useState } from 'react';

const FOLD_AT = 160;

/** Long strings shortened, so one huge value does not push the decision off the screen. */
function fold(value: unknown): { value: unknown; folded: boolean } {
  if (typeof value === 'string' && value.length > FOLD_AT) return { value: `${value.slice(0, FOLD_AT)}… (${value.length - FOLD_AT} more characters)`, folded: true };
  if (Array.isArray(value)) {
    const parts = value.map(fold);
    return { value: parts.map((p) => p.value), folded: parts.some((p) => p.folded) };
  }
  if (value && typeof value === 'object') {
    let folded = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const part = fold(v);
      out[k] = part.value;
      folded ||= part.folded;
    }
    return { value: out, folded };
  }
  return { value, folded: false };
}

/** The event's input, pretty-printed; rendered as text (React escapes it), never as markup. */
export function JsonBlock({ value, label }: { value: unknown; label: string }) {
  const [full, setFull] = useState(false);
  const short = fold(value);
  const text = JSON.stringify(full ? value : short.value, null, 2) ?? 'null';
  return (
    <Stack gap={4} align="flex-start">
      <Code block className="json-block" aria-label={label} w="100%" c="dark.9">
        {text}
      </Code>
      {short.folded && (
        <Button variant="subtle" size="compact-xs" onClick={() => setFull(!full)}>
          {full ? 'Fold long values' : 'Show long values in full'}
        </Button>
      )}
    </Stack>
  );
}
