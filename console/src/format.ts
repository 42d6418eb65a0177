// Display helpers shared by the pages.
import type { RunStatus, TaskStatus } from './api';

export function formatTime(iso: string | null | undefined, lang: 'zh' | 'en'): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false });
}

export function formatDuration(startIso: string, endIso: string | null): string {
  if (!endIso) return '—';
  const seconds = Math.max(0, Math.round((Date.parse(endIso) - Date.parse(startIso)) / 1000));
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** The task canvas's colours: blue running, green succeeded, red failed, orange pending deletions, grey never run or disabled. */
export const taskStatusColor: Record<TaskStatus, string> = {
  running: '#1677ff',
  succeeded: '#52c41a',
  failed: '#ff4d4f',
  pending_deletions: '#fa8c16',
  never_run: '#bfbfbf',
  disabled: '#bfbfbf',
};

/** antd Tag colours of run and item statuses. */
export const statusTagColor: Record<string, string> = {
  pending: 'default',
  running: 'processing',
  succeeded: 'success',
  partially_failed: 'warning',
  failed: 'error',
  canceled: 'default',
  planned: 'default',
  skipped: 'default',
  staged: 'orange',
  PENDING: 'orange',
  EXECUTING: 'processing',
  SUCCEEDED: 'success',
  FAILED: 'error',
  CANCELED: 'default',
  SUPERSEDED: 'default',
} satisfies Record<RunStatus | string, string>;
