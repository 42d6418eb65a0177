// A task's run history with the reference product's columns: time, trigger, departments ok/total,
// department updates, users ok/total, user updates; a running run's row follows its progress.
import { Button, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, type Run, type RunDetail, type SuccessOfTotal, type Task } from '../api';
import { formatDuration, formatTime, statusTagColor } from '../format';
import { useI18n } from '../i18n';
import { usePaged } from '../usePaged';

const okOfTotal = (counts: SuccessOfTotal | undefined) => (counts ? `${counts.succeeded}/${counts.total}` : '…');

export function RunHistoryPage() {
  const { id = '' } = useParams();
  const { t, lang } = useI18n();
  const [task, setTask] = useState<Task | null>(null);
  const runs = usePaged((q) => api.runs(id, q), [id]);
  // The list has no counters per item: each visible run's summary comes from its detail (one page at a time).
  const [details, setDetails] = useState<Record<string, RunDetail>>({});
  useEffect(() => {
    void api.task(id).then(setTask, () => setTask(null));
  }, [id]);
  const items = runs.page?.items;
  useEffect(() => {
    let live = true;
    void Promise.all((items ?? []).map((run) => api.run(run.id).catch(() => null))).then((found) => {
      if (live) setDetails(Object.fromEntries(found.filter((d): d is RunDetail => d !== null).map((d) => [d.id, d])));
    });
    return () => {
      live = false;
    };
  }, [items]);
  const inFlight = (items ?? []).some((run) => run.status === 'running' || run.status === 'pending');
  useEffect(() => {
    if (!inFlight) return;
    const timer = setInterval(runs.reload, 2_000);
    return () => clearInterval(timer);
  }, [inFlight, runs.reload]);
  return (
    <>
      <Space style={{ marginBottom: 16 }} align="center">
        <Link to="/tasks">← {t('runs.back')}</Link>
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t('runs.title', { name: task?.name ?? id })}
        </Typography.Title>
        <Button onClick={runs.reload}>{t('common.refresh')}</Button>
      </Space>
      <Table<Run>
        rowKey="id"
        size="small"
        loading={runs.loading && !runs.page}
        dataSource={items ?? []}
        data-testid="run-history"
        pagination={{ current: runs.pageNo, pageSize: runs.pageSize, total: runs.page?.total ?? 0, onChange: runs.setPage, showSizeChanger: true, showTotal: (n) => t('common.total', { n }) }}
        columns={[
          { title: t('runs.time'), dataIndex: 'startedAt', render: (at: string) => formatTime(at, lang) },
          {
            title: t('runs.trigger'),
            dataIndex: 'trigger',
            render: (trigger: string, run) => (
              <>
                {t(`trigger.${trigger}` as 'trigger.manual')}
                {run.dryRun && <Tag style={{ marginLeft: 8 }}>{t('runs.dryRun')}</Tag>}
              </>
            ),
          },
          {
            title: t('runs.status'),
            dataIndex: 'status',
            render: (status: string, run) => {
              const progress = details[run.id]?.progress;
              return (
                <Space orientation="vertical" size={0}>
                  <Tag color={statusTagColor[status]} data-testid="run-status">
                    {t(`status.${status}` as 'status.failed')}
                  </Tag>
                  {progress && (
                    <Typography.Text type="secondary">
                      {progress.phase} · {t('run.batches', { done: progress.batchesDone, total: progress.batchesTotal })}
                    </Typography.Text>
                  )}
                </Space>
              );
            },
          },
          { title: t('runs.departments'), key: 'departments', render: (_, run) => okOfTotal(details[run.id]?.summary.departments) },
          { title: t('runs.departmentUpdates'), key: 'departmentUpdates', render: (_, run) => okOfTotal(details[run.id]?.summary.departmentUpdates) },
          { title: t('runs.users'), key: 'users', render: (_, run) => okOfTotal(details[run.id]?.summary.users) },
          { title: t('runs.userUpdates'), key: 'userUpdates', render: (_, run) => okOfTotal(details[run.id]?.summary.userUpdates) },
          { title: t('runs.duration'), key: 'duration', render: (_, run) => formatDuration(run.startedAt, run.finishedAt) },
          {
            title: '',
            key: 'detail',
            render: (_, run) => (
              <Link to={`/runs/${run.id}`} data-testid="run-detail-link">
                {t('runs.detail')}
              </Link>
            ),
          },
        ]}
      />
    </>
  );
}
