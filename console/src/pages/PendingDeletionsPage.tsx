// Pending deletions (删除保护): filtered by task and status, many selected at once, executed or
// cancelled in bulk after a confirmation that states the count (and that cancel is final); the
// API's answer for each id is shown beside it. Superseded and failed items are shown as such.
import { type ButtonProps, App, Alert, Button, Select, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { api, ApiFailure, pendingDeletionStatuses, type Decision, type PendingDeletion, type Task } from '../api';
import { formatTime, statusTagColor } from '../format';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import { usePaged } from '../usePaged';

/** What a decision may still change: execute retries FAILED items; cancel takes PENDING and FAILED. */
const decidable = new Set(['PENDING', 'FAILED']);

export function PendingDeletionsPage() {
  const { t, lang } = useI18n();
  const { can } = useSession();
  const { modal, message } = App.useApp();
  const [params, setParams] = useSearchParams();
  const taskId = params.get('taskId') ?? undefined;
  const status = params.has('status') ? params.get('status') || undefined : 'PENDING';
  const [tasks, setTasks] = useState<Task[]>([]);
  const [selected, setSelected] = useState<string[]>([]);
  const [answers, setAnswers] = useState<Record<string, Decision>>({});
  const list = usePaged((q) => api.pendingDeletions({ ...q, taskId, status }), [taskId, status], 100);
  // The task filter's choices load when it first opens; the table's task names only for the tasks on the page.
  const [namesOf, setNamesOf] = useState<Record<string, string>>({});
  const loadTaskChoices = () => {
    if (tasks.length === 0) void api.tasks({ limit: 500, offset: 0 }).then((page) => setTasks(page.items), () => setTasks([]));
  };
  const shownTaskIds = useMemo(() => [...new Set([...(list.page?.items ?? []).map((row) => row.taskId), ...(taskId ? [taskId] : [])])], [list.page, taskId]);
  useEffect(() => {
    const missing = shownTaskIds.filter((id) => !(id in namesOf));
    if (missing.length === 0) return;
    void Promise.all(missing.map((id) => api.task(id).then((task) => [id, task.name] as const, () => [id, id] as const))).then((found) => setNamesOf((prev) => ({ ...prev, ...Object.fromEntries(found) })));
  }, [shownTaskIds, namesOf]);
  useEffect(() => setSelected([]), [taskId, status]);
  const taskNames = useMemo(() => new Map([...Object.entries(namesOf), ...tasks.map((task) => [task.id, task.name] as const)]), [tasks, namesOf]);
  const setFilter = (name: 'taskId' | 'status', value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (name === 'status') next.set('status', value ?? '');
    else if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  };
  const decide = (action: 'execute' | 'cancel') => {
    const ids = [...selected];
    const n = ids.length;
    modal.confirm({
      title: t(action === 'execute' ? 'deletions.executeTitle' : 'deletions.cancelTitle', { n }),
      content: t(action === 'execute' ? 'deletions.executeBody' : 'deletions.cancelBody', { n }),
      okText: t(action === 'execute' ? 'deletions.execute' : 'deletions.cancel', { n }),
      okButtonProps: { danger: action === 'execute', 'data-testid': 'confirm-decision' } as ButtonProps,
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          const { results } = await api.decide(action, ids);
          setAnswers((prev) => ({ ...prev, ...Object.fromEntries(results.map((r) => [r.id, r])) }));
          setSelected([]);
        } catch (err) {
          void message.error(err instanceof ApiFailure ? err.message : String(err));
        } finally {
          list.reload();
        }
      },
    });
  };
  const answered = Object.values(answers);
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="middle">
      <Space wrap>
        <Select
          allowClear
          showSearch
          optionFilterProp="label"
          style={{ width: 260 }}
          placeholder={t('deletions.allTasks')}
          value={taskId}
          onChange={(v?: string) => setFilter('taskId', v)}
          onOpenChange={(open) => open && loadTaskChoices()}
          options={tasks.length > 0 ? tasks.map((task) => ({ value: task.id, label: task.name })) : taskId ? [{ value: taskId, label: taskNames.get(taskId) ?? taskId }] : []}
          data-testid="filter-task"
        />
        <Select
          style={{ width: 180 }}
          value={status ?? ''}
          onChange={(v: string) => setFilter('status', v || undefined)}
          options={[{ value: '', label: t('deletions.allStatuses') }, ...pendingDeletionStatuses.map((s) => ({ value: s, label: s }))]}
          data-testid="filter-status"
        />
        <Button onClick={list.reload}>{t('common.refresh')}</Button>
        {can.decideDeletions && (
          <>
            <Button type="primary" danger disabled={selected.length === 0} onClick={() => decide('execute')} data-testid="execute-selected">
              {t('deletions.execute', { n: selected.length })}
            </Button>
            <Button disabled={selected.length === 0} onClick={() => decide('cancel')} data-testid="cancel-selected">
              {t('deletions.cancel', { n: selected.length })}
            </Button>
          </>
        )}
      </Space>
      {list.error && <Alert type="error" message={t('common.failedToLoad', { message: list.error })} />}
      {answered.length > 0 && (
        <Alert
          type={answered.every((a) => a.result === 'accepted') ? 'success' : 'warning'}
          showIcon
          closable
          onClose={() => setAnswers({})}
          message={t('deletions.results')}
          data-testid="decision-results"
          description={
            <Space orientation="vertical" size={0}>
              {answered.map((a) => (
                <Typography.Text key={a.id} data-testid={`decision-${a.id}`}>
                  <Typography.Text code>{a.id}</Typography.Text> {t(`decision.${a.result}`)}
                  {a.status ? ` (${a.status})` : ''}
                </Typography.Text>
              ))}
            </Space>
          }
        />
      )}
      <Table<PendingDeletion>
        rowKey="id"
        size="small"
        virtual
        scroll={{ x: 1000, y: 560 }}
        loading={list.loading}
        dataSource={list.page?.items ?? []}
        data-testid="pending-deletions"
        rowSelection={can.decideDeletions ? { selectedRowKeys: selected, onChange: (keys) => setSelected(keys.map(String)), getCheckboxProps: (row) => ({ disabled: !decidable.has(row.status) }) } : undefined}
        pagination={{ current: list.pageNo, pageSize: list.pageSize, total: list.page?.total ?? 0, onChange: list.setPage, showSizeChanger: true, pageSizeOptions: [100, 200, 500], showTotal: (n) => t('common.total', { n }) }}
        columns={[
          { title: t('deletions.target'), key: 'target', width: 200, render: (_, row) => <span data-testid={`deletion-${row.targetId}`}>{row.displayName ?? row.targetId}</span> },
          { title: t('deletions.action'), dataIndex: 'action', width: 130 },
          { title: t('deletions.task'), dataIndex: 'taskId', width: 200, ellipsis: true, render: (id: string) => taskNames.get(id) ?? id },
          { title: t('deletions.reason'), dataIndex: 'reason', width: 200, ellipsis: true },
          {
            title: t('deletions.status'),
            dataIndex: 'status',
            width: 220,
            render: (s: string, row) => (
              <Space orientation="vertical" size={0}>
                <Tag color={statusTagColor[s]}>{s}</Tag>
                {row.supersededBy && <Typography.Text type="secondary">{t('deletions.supersededBy', { id: row.supersededBy })}</Typography.Text>}
                {row.status === 'FAILED' && <Typography.Text type="danger">{[row.errorCode, row.errorMessage].filter(Boolean).join(': ')}</Typography.Text>}
                {row.expiresAt && row.status === 'PENDING' && <Typography.Text type="secondary">{t('deletions.expires', { at: formatTime(row.expiresAt, lang) })}</Typography.Text>}
              </Space>
            ),
          },
          { title: t('deletions.created'), dataIndex: 'createdAt', width: 170, render: (at: string) => formatTime(at, lang) },
          { title: t('deletions.decided'), key: 'decided', width: 200, ellipsis: true, render: (_, row) => (row.decidedBy ? `${row.decidedBy} · ${formatTime(row.decidedAt, lang)}` : '—') },
          { title: t('deletions.results'), key: 'answer', width: 160, render: (_, row) => (answers[row.id] ? <Tag color={answers[row.id].result === 'accepted' ? 'green' : 'gold'}>{t(`decision.${answers[row.id].result}`)}</Tag> : null) },
        ]}
      />
    </Space>
  );
}
