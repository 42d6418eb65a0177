// Run notifications: the events a channel may subscribe to, the channel kinds with their settings and
// secrets schemas, and the message one event becomes (the same text for every channel).
import { z } from 'zod';

export const notificationEvents = ['run_failed', 'run_partially_failed', 'deletions_pending', 'credentials_failing', 'guard_tripped'] as const;
export type NotificationEvent = (typeof notificationEvents)[number];

export const channelKinds = ['wecom-robot', 'feishu-bot', 'dingtalk-robot', 'webhook', 'email'] as const;
export type ChannelKind = (typeof channelKinds)[number];

const httpUrl = z.string().regex(/^https?:\/\/[^\s@]+$/, 'must be an http(s) URL without credentials');
const emailAddress = z.string().regex(/^[^\s@<>,]+@[^\s@<>,]+$/, 'must be an email address');

/** The webhook URLs carry the robot's key or access token, so they are secrets, sealed with the signing secret. */
export const channelSecretsSchemas = {
  'wecom-robot': z.strictObject({ webhookUrl: httpUrl }),
  'feishu-bot': z.strictObject({ webhookUrl: httpUrl, signingSecret: z.string().min(1).optional() }),
  'dingtalk-robot': z.strictObject({ webhookUrl: httpUrl, signingSecret: z.string().min(1).optional() }),
  webhook: z.strictObject({ url: httpUrl, signingSecret: z.string().min(16, 'at least 16 characters') }),
  email: z.strictObject({ username: z.string().min(1).optional(), password: z.string().min(1).optional() }),
} satisfies Record<ChannelKind, z.ZodType>;

const commonSettings = {
  /** credentials_failing fires when this many runs in a row failed to authenticate (and at each multiple) */
  credentialFailureThreshold: z.number().int().min(1).max(100).default(3),
};

export const channelSettingsSchemas = {
  'wecom-robot': z.strictObject(commonSettings),
  'feishu-bot': z.strictObject(commonSettings),
  'dingtalk-robot': z.strictObject(commonSettings),
  webhook: z.strictObject(commonSettings),
  email: z.strictObject({
    ...commonSettings,
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(587),
    /** implicit TLS (port 465); otherwise STARTTLS is used when the server offers it */
    secure: z.boolean().default(false),
    from: emailAddress,
    to: z.array(emailAddress).min(1),
  }),
} satisfies Record<ChannelKind, z.ZodType>;

export type ChannelSettings = { credentialFailureThreshold: number } & Partial<z.infer<(typeof channelSettingsSchemas)['email']>>;

/** What happened, with the facts every channel renders. */
export interface NotificationMessage {
  event: NotificationEvent;
  title: string;
  lines: string[];
  link?: string;
  taskId: string;
  taskName: string;
  runId: string;
  /** the machine-readable form the generic webhook sends */
  details: Record<string, unknown>;
}

export interface RunFacts {
  taskId: string;
  taskName: string;
  runId: string;
  trigger: string;
  status: string;
  error?: string | null;
  counters: Record<string, number>;
  /** staged deletes of this run still waiting for an approver */
  pendingDeletes: number;
  /** writes held by the mass-offboarding guard (freezes, moves to the top level) */
  guardHeld: number;
  /** runs in a row (this one included) that failed to authenticate */
  credentialFailures: number;
  /** SYNC_CENTER_PUBLIC_URL, when set: links are absolute */
  publicUrl?: string;
}

const origin = (facts: RunFacts) => facts.publicUrl?.replace(/\/+$/, '') ?? '';

export function composeMessage(event: NotificationEvent, facts: RunFacts): NotificationMessage {
  const base = { event, taskId: facts.taskId, taskName: facts.taskName, runId: facts.runId };
  const runLine = `Task ${facts.taskName} (${facts.taskId}), run ${facts.runId} (${facts.trigger})`;
  const runLink = `${origin(facts)}/api/v1/runs/${encodeURIComponent(facts.runId)}`;
  const failed = facts.counters.failed ?? 0;
  const succeeded = facts.counters.succeeded ?? 0;
  switch (event) {
    case 'run_failed':
      return { ...base, title: `Sync run failed: ${facts.taskName}`, lines: [runLine, `Error: ${facts.error ?? 'every item failed'}`], link: runLink, details: { status: facts.status, error: facts.error ?? null, counters: facts.counters } };
    case 'run_partially_failed':
      return { ...base, title: `Sync run partially failed: ${facts.taskName}`, lines: [runLine, `${failed} item(s) failed, ${succeeded} succeeded`], link: `${runLink}/items?status=failed`, details: { status: facts.status, counters: facts.counters } };
    case 'deletions_pending': {
      const link = `${origin(facts)}/api/v1/pending-deletions?taskId=${encodeURIComponent(facts.taskId)}&status=PENDING`;
      return { ...base, title: `${facts.pendingDeletes} deletion(s) wait for approval: ${facts.taskName}`, lines: [runLine, `${facts.pendingDeletes} staged deletion(s) wait for an approver`], link, details: { count: facts.pendingDeletes, approvalsUrl: link } };
    }
    case 'guard_tripped': {
      const link = `${origin(facts)}/api/v1/pending-deletions?taskId=${encodeURIComponent(facts.taskId)}&status=PENDING`;
      return { ...base, title: `Mass-offboarding guard held ${facts.guardHeld} change(s): ${facts.taskName}`, lines: [runLine, `${facts.guardHeld} freeze(s) or move(s) are held until an approver executes them`], link, details: { count: facts.guardHeld, approvalsUrl: link } };
    }
    case 'credentials_failing':
      return { ...base, title: `Credentials failing: ${facts.taskName}`, lines: [runLine, `${facts.credentialFailures} run(s) in a row failed to authenticate`, `Last error: ${facts.error ?? ''}`], link: runLink, details: { consecutiveFailures: facts.credentialFailures, error: facts.error ?? null } };
  }
}

/** Plain text of a message, for robots, mail bodies and logs. */
export function messageText(message: NotificationMessage): string {
  return [message.title, ...message.lines, ...(message.link ? [message.link] : [])].join('\n');
}

/** Events a finished run raises, before each channel's own threshold for credentials_failing. */
export function runEvents(facts: RunFacts): NotificationEvent[] {
  const events: NotificationEvent[] = [];
  if (facts.status === 'failed') events.push('run_failed');
  if (facts.status === 'partially_failed') events.push('run_partially_failed');
  if (facts.pendingDeletes > 0) events.push('deletions_pending');
  if (facts.guardHeld > 0) events.push('guard_tripped');
  if (facts.credentialFailures > 0) events.push('credentials_failing');
  return events;
}
