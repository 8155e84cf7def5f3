import { Paper, Text, Title } from '@mantine/core';
import type { ReactElement } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { Overview } from './overview';

// Dark enough to meet contrast against white, and told apart by more than hue (legend, order).
const COLORS = { allow: '#2b8a3e', block: '#c92a2a', pending: '#5f3dc4', p50: '#1864ab', p95: '#e8590c', expired: '#862e9c' };

function ChartCard({ title, summary, children }: { title: string; summary: string; children: ReactElement }) {
  return (
    <Paper withBorder p="md" component="section" aria-label={title}>
      <Title order={2} size="h4" mb="xs">
        {title}
      </Title>
      {/* The chart is a picture; this sentence is what a screen reader gets instead. */}
      <Text size="sm" c="dark.6" mb="xs">
        {summary}
      </Text>
      <div role="img" aria-label={`${title}: ${summary}`} style={{ width: '100%', height: 240 }}>
        <ResponsiveContainer width="100%" height="100%">
          {children}
        </ResponsiveContainer>
      </div>
    </Paper>
  );
}

const hourLabel = (iso: string, range: Overview['range']) =>
  new Date(iso).toLocaleString(undefined, range === '24h' ? { hour: '2-digit', minute: '2-digit' } : { weekday: 'short', hour: '2-digit' });

export function EventsPerHourChart({ overview }: { overview: Overview }) {
  const data = overview.events_per_hour.map((h) => ({ ...h, label: hourLabel(h.hour, overview.range) }));
  const total = (k: 'allow' | 'block' | 'pending') => data.reduce((n, h) => n + h[k], 0);
  return (
    <ChartCard title="Events per hour by verdict" summary={`${total('allow')} allowed, ${total('block')} blocked, ${total('pending')} waiting for a review.`}>
      <BarChart data={data} accessibilityLayer={false}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="label" minTickGap={24} tick={{ fontSize: 12 }} />
        <YAxis allowDecimals={false} tick={{ fontSize: 12 }} width={48} />
        <Tooltip />
        <Legend />
        <Bar dataKey="allow" name="Allowed" stackId="v" fill={COLORS.allow} isAnimationActive={false} />
        <Bar dataKey="block" name="Blocked" stackId="v" fill={COLORS.block} isAnimationActive={false} />
        <Bar dataKey="pending" name="Pending review" stackId="v" fill={COLORS.pending} isAnimationActive={false} />
      </BarChart>
    </ChartCard>
  );
}

const seconds = (s: number) => (s < 90 ? `${s.toFixed(0)} s` : `${(s / 60).toFixed(1)} min`);

export function DecisionTimeChart({ overview }: { overview: Overview }) {
  const days = overview.decision_times;
  const decided = days.reduce((n, d) => n + d.decided, 0);
  const last = days.at(-1);
  const summary = last ? `${decided} reviews decided; on ${last.day} half within ${seconds(last.p50_seconds)}, 95% within ${seconds(last.p95_seconds)}.` : 'No review was decided in this window.';
  return (
    <ChartCard title="Time to decision" summary={summary}>
      <LineChart data={days} accessibilityLayer={false}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="day" tick={{ fontSize: 12 }} />
        <YAxis unit=" s" tick={{ fontSize: 12 }} width={56} />
        <Tooltip formatter={(v) => seconds(Number(v))} />
        <Legend />
        <Line dataKey="p50_seconds" name="Median" stroke={COLORS.p50} strokeWidth={2} isAnimationActive={false} />
        <Line dataKey="p95_seconds" name="95th percentile" stroke={COLORS.p95} strokeWidth={2} strokeDasharray="6 3" isAnimationActive={false} />
      </LineChart>
    </ChartCard>
  );
}

export function ExpiriesChart({ overview }: { overview: Overview }) {
  const expired = overview.expiries.reduce((n, d) => n + d.expired, 0);
  return (
    <ChartCard title="Expired reviews" summary={expired === 0 ? 'No review expired in this window.' : `${expired} reviews expired before anyone decided.`}>
      <BarChart data={overview.expiries} accessibilityLayer={false}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="day" tick={{ fontSize: 12 }} />
        <YAxis allowDecimals={false} tick={{ fontSize: 12 }} width={48} />
        <Tooltip />
        <Bar dataKey="expired" name="Expired" fill={COLORS.expired} isAnimationActive={false} />
      </BarChart>
    </ChartCard>
  );
}
