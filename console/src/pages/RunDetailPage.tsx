// One run: status, counters and live progress; its items filtered by entity, action and status, each
// expandable to its field-level before/after and the vendor's error; export CSV/XLSX; retry failed items.
import { App, Alert, Button, Descriptions, Dropdown, Input, Progress, Select, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, ApiFailure, itemStatuses, type RunDetail, type RunItem } from '../api';
import { formatTime, statusTagColor } from '../format';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import { usePaged } from '../usePaged';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const show = (value: unknown) => (value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value));

/** The fields an item changed, before and after; a whole value when either side is not an object. */
function ItemChanges({ item }: { item: RunItem }) {
  const { t } = useI18n();
  const before = isRecord(item.before) ? item.before : {};
  const after = isRecord(item.after) ? item.after : {};
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((f) => show(before[f]) !== show(after[f]));
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="item-changes">
      {(item.errorCode || item.errorMessage) && <Alert type="error" showIcon message={t('run.vendorError')} description={[item.errorCode, item.errorMessage].filter(Boolean).join(': ')} />}
      {fields.length === 0 ? (
        <Typography.Text type="secondary">{t('run.noChange')}</Typography.Text>
      ) : (
        <Table
          size="small"
          pagination={false}
          rowKey="field"
          dataSource={fields.map((field) => ({ field, before: show(before[field]), after: show(after[field]) }))}
          columns={[
            { title: t('run.field'), dataIndex: 'field', width: 200 },
            { title: t('run.before'), dataIndex: 'before', render: (v: string) => <Typography.Text delete={v !== ''}>{v}</Typography.Text> },
            { title: t('run.after'), dataIndex: 'after', render: (v: string) => <Typography.Text type="success">{v}</Typography.Text> },
          ]}
        />
      )}
    </Space>
  );
}

export function RunDetailPage() {
  const { id = '' } = useParams();
  const { t, lang } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const [run, setRun] = useState<RunDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [entity, setEntity] = useState<string | undefined>();
  const [status, setStatus] = useState<string | undefined>();
  const [action, setAction] = useState<string | undefined>();
  const items = usePaged((q) => api.runItems(id, { ...q, entity, status, action }), [id, entity, status, action], 100);
  const inFlight = run?.status === 'running' || run?.status === 'pending';
  useEffect(() => {
    let live = true;
    const load = () =>
      api.run(id).then(
        (r) => live && setRun(r),
        (err: unknown) => live && setError(err instanceof Error ? err.message : String(err)),
      );
    void load();
    if (!inFlight && run) return;
    const timer = setInterval(() => void load(), 2_000);
    return () => {
      live = false;
      clearInterval(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- poll only while the run is in flight
  }, [id, inFlight]);
  const fail = (err: unknown) => void message.error(err instanceof ApiFailure ? err.message : String(err));
  const retry = async () => {
    try {
      const accepted = await api.retryFailed(id);
      void message.success(t('run.retryStarted', { id: accepted.runId, n: accepted.sourceIds }));
    } catch (err) {
      fail(err);
    }
  };
  if (error) return <Alert type="error" message={t('common.failedToLoad', { message: error })} />;
  const failed = run?.summary.byStatus.failed ?? 0;
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="middle">
      <Space align="center">
        {run && <Link to={`/tasks/${run.taskId}/runs`}>← {t('tasks.history')}</Link>}
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t('run.title', { id })}
        </Typography.Title>
        {run && (
          <Tag color={statusTagColor[run.status]} data-testid="run-detail-status">
            {t(`status.${run.status}`)}
          </Tag>
        )}
        <Dropdown menu={{ items: (['csv', 'xlsx'] as const).map((f) => ({ key: f, label: f.toUpperCase(), onClick: () => void api.exportRun(id, f).catch(fail) })) }}>
          <Button data-testid="export">{t('run.export')}</Button>
        </Dropdown>
        {can.editTasks && failed > 0 && (
          <Button onClick={() => void retry()} data-testid="retry-failed">
            {t('run.retryFailed')}
          </Button>
        )}
      </Space>
      {run && (
        <Descriptions size="small" bordered column={{ xs: 1, md: 3 }}>
          <Descriptions.Item label={t('runs.trigger')}>
            {t(`trigger.${run.trigger}` as 'trigger.manual')}
            {run.dryRun ? ` (${t('runs.dryRun')})` : ''}
          </Descriptions.Item>
          <Descriptions.Item label={t('run.started')}>{formatTime(run.startedAt, lang)}</Descriptions.Item>
          <Descriptions.Item label={t('run.finished')}>{formatTime(run.finishedAt, lang)}</Descriptions.Item>
          <Descriptions.Item label={t('runs.departments')}>{`${run.summary.departments.succeeded}/${run.summary.departments.total}`}</Descriptions.Item>
          <Descriptions.Item label={t('runs.departmentUpdates')}>{`${run.summary.departmentUpdates.succeeded}/${run.summary.departmentUpdates.total}`}</Descriptions.Item>
          <Descriptions.Item label={t('run.requestedBy')}>{run.requestedBy?.join(', ') ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('runs.users')}>{`${run.summary.users.succeeded}/${run.summary.users.total}`}</Descriptions.Item>
          <Descriptions.Item label={t('runs.userUpdates')}>{`${run.summary.userUpdates.succeeded}/${run.summary.userUpdates.total}`}</Descriptions.Item>
          <Descriptions.Item label={t('run.phase')}>{run.progress?.phase ?? run.phase}</Descriptions.Item>
          {run.progress && (
            <Descriptions.Item label={t('run.progress')} span={3}>
              <Progress percent={run.progress.batchesTotal ? Math.round((100 * run.progress.batchesDone) / run.progress.batchesTotal) : 0} format={() => t('run.batches', { done: run.progress?.batchesDone ?? 0, total: run.progress?.batchesTotal ?? 0 })} />
            </Descriptions.Item>
          )}
          {run.error && (
            <Descriptions.Item label={t('run.error')} span={3}>
              <Typography.Paragraph type="danger" copyable style={{ margin: 0 }}>
                {run.error}
              </Typography.Paragraph>
            </Descriptions.Item>
          )}
        </Descriptions>
      )}
      <Space wrap>
        <Select allowClear placeholder={t('run.entity')} style={{ width: 140 }} value={entity} onChange={setEntity} data-testid="filter-entity" options={(['department', 'user'] as const).map((e) => ({ value: e, label: t(`entity.${e}`) }))} />
        <Input.Search allowClear placeholder={t('run.action')} style={{ width: 200 }} onSearch={(v) => setAction(v.trim() || undefined)} data-testid="filter-action" />
        <Select allowClear placeholder={t('run.itemStatus')} style={{ width: 140 }} value={status} onChange={setStatus} data-testid="filter-status" options={itemStatuses.map((s) => ({ value: s, label: t(`status.${s}`) }))} />
        <Button onClick={items.reload}>{t('common.refresh')}</Button>
      </Space>
      <Table<RunItem>
        rowKey="id"
        size="small"
        virtual
        scroll={{ x: 900, y: 560 }}
        loading={items.loading}
        dataSource={items.page?.items ?? []}
        data-testid="run-items"
        expandable={{ expandedRowRender: (item) => <ItemChanges item={item} /> }}
        pagination={{ current: items.pageNo, pageSize: items.pageSize, total: items.page?.total ?? 0, onChange: items.setPage, showSizeChanger: true, pageSizeOptions: [100, 200, 500], showTotal: (n) => t('common.total', { n }) }}
        columns={[
          { title: '#', dataIndex: 'seq', width: 70 },
          { title: t('run.entity'), dataIndex: 'entity', width: 100, render: (e: 'user' | 'department') => t(`entity.${e}`) },
          { title: t('run.action'), dataIndex: 'action', width: 170 },
          { title: t('run.name'), dataIndex: 'displayName', width: 180 },
          { title: t('run.sourceId'), dataIndex: 'sourceId', width: 150, ellipsis: true },
          { title: t('run.targetId'), dataIndex: 'targetId', width: 150, ellipsis: true },
          {
            title: t('run.itemStatus'),
            dataIndex: 'status',
            width: 110,
            render: (s: string) => <Tag color={statusTagColor[s]}>{t(`status.${s}` as 'status.failed')}</Tag>,
          },
          { title: t('run.vendorError'), key: 'error', ellipsis: true, render: (_, item) => [item.errorCode, item.errorMessage].filter(Boolean).join(': ') },
        ]}
      />
    </Space>
  );
}
