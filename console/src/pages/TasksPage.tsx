// The tasks canvas: upstream sources → hub → downstream apps, each task a card in its status colour
// (blue running, green succeeded, red failed with the error copyable, orange pending deletions, grey
// never run, dimmed disabled), its last and next run, and the actions the signed-in role may take.
import { type ButtonProps, App, Button, Card, Col, Empty, Pagination, Row, Space, Spin, Switch, Tag, Tooltip, Typography } from 'antd';
import { useEffect } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api, ApiFailure, type Task } from '../api';
import { formatTime, taskStatusColor } from '../format';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import { usePaged } from '../usePaged';

function TaskCard({ task, onChanged }: { task: Task; onChanged(): void }) {
  const { t, lang } = useI18n();
  const { can } = useSession();
  const { message, modal } = App.useApp();
  const navigate = useNavigate();
  const color = taskStatusColor[task.status];
  const act = async (what: () => Promise<unknown>, done?: string) => {
    try {
      await what();
      if (done) void message.success(done);
    } catch (err) {
      void message.error(err instanceof ApiFailure ? err.message : String(err));
    } finally {
      onChanged();
    }
  };
  const run = (dryRun: boolean) =>
    act(async () => {
      const accepted = await api.runTask(task.id, dryRun);
      void message.success(t(accepted.coalesced ? 'tasks.runCoalesced' : 'tasks.runStarted', { id: accepted.runId }));
    });
  const confirmDelete = () =>
    modal.confirm({
      title: t('tasks.deleteTitle', { name: task.name }),
      content: t('tasks.deleteBody'),
      okText: t('tasks.delete'),
      okButtonProps: { danger: true, 'data-testid': 'confirm-delete' } as ButtonProps,
      cancelText: t('common.cancel'),
      onOk: () => act(() => api.deleteTask(task.id), t('tasks.deleted')),
    });
  return (
    <Card
      size="small"
      data-testid={`task-card-${task.id}`}
      data-status={task.status}
      style={{ borderTop: `4px solid ${color}`, opacity: task.enabled ? 1 : 0.55, marginBottom: 12 }}
      title={
        <Space>
          <Typography.Text strong>{task.name}</Typography.Text>
          <Tag>{task.connectorKind}</Tag>
        </Space>
      }
      extra={
        <Tag color={color} data-testid="task-status">
          {t(`status.${task.status}`)}
        </Tag>
      }
      actions={[
        <Link key="history" to={`/tasks/${task.id}/runs`}>
          {t('tasks.history')}
        </Link>,
        ...(can.editTasks
          ? [
              <Button key="run" type="link" size="small" disabled={!task.enabled} onClick={() => void run(false)} data-testid="run-now">
                {t('tasks.run')}
              </Button>,
              <Button key="dry" type="link" size="small" disabled={!task.enabled} onClick={() => void run(true)} data-testid="dry-run">
                {t('tasks.dryRun')}
              </Button>,
              <Button key="edit" type="link" size="small" onClick={() => navigate(`/tasks/${task.id}/edit`)} data-testid="edit-task">
                {t('tasks.edit')}
              </Button>,
              <Button key="delete" type="link" size="small" danger onClick={confirmDelete} data-testid="delete-task">
                {t('tasks.delete')}
              </Button>,
            ]
          : []),
      ]}
    >
      <Space orientation="vertical" size={2} style={{ width: '100%' }}>
        <Typography.Text type="secondary">
          {t('tasks.lastRun')}: {task.lastRun ? `${formatTime(task.lastRun.startedAt, lang)} · ${t(`status.${task.lastRun.status}` as 'status.failed')}${task.lastRun.dryRun ? ` (${t('runs.dryRun')})` : ''}` : t('tasks.neverRun')}
        </Typography.Text>
        <Typography.Text type="secondary">
          {t('tasks.nextRun')}: {task.nextRunAt ? formatTime(task.nextRunAt, lang) : t('tasks.notScheduled')}
        </Typography.Text>
        {task.status === 'failed' && task.lastError && (
          <Typography.Paragraph type="danger" copyable={{ text: task.lastError }} ellipsis={{ rows: 3, expandable: true }} style={{ marginBottom: 0 }} data-testid="task-error">
            {task.lastError}
          </Typography.Paragraph>
        )}
        {task.pendingDeletions > 0 && (
          <Link to={`/pending-deletions?taskId=${encodeURIComponent(task.id)}`} style={{ color: taskStatusColor.pending_deletions }}>
            {t('tasks.pendingDeletions', { n: task.pendingDeletions })}
          </Link>
        )}
        {can.editTasks && (
          <Space>
            <Switch size="small" checked={task.enabled} onChange={(on) => void act(() => api.setEnabled(task.id, on))} data-testid="enable-switch" />
            <Typography.Text>{t('tasks.enabled')}</Typography.Text>
          </Space>
        )}
      </Space>
    </Card>
  );
}

function Column({ title, tasks, onChanged }: { title: string; tasks: Task[]; onChanged(): void }) {
  const { t } = useI18n();
  return (
    <Col xs={24} md={9}>
      <Typography.Title level={5}>{title}</Typography.Title>
      {tasks.length === 0 ? <Empty description={t('tasks.empty')} image={Empty.PRESENTED_IMAGE_SIMPLE} /> : tasks.map((task) => <TaskCard key={task.id} task={task} onChanged={onChanged} />)}
    </Col>
  );
}

export function TasksPage() {
  const { t } = useI18n();
  const { can } = useSession();
  const navigate = useNavigate();
  const tasks = usePaged((q) => api.tasks(q), [], 24);
  const items = tasks.page?.items ?? [];
  const anyRunning = items.some((task) => task.status === 'running');
  // While a run is in flight the canvas follows it.
  useEffect(() => {
    if (!anyRunning) return;
    const timer = setInterval(tasks.reload, 3_000);
    return () => clearInterval(timer);
  }, [anyRunning, tasks.reload]);
  return (
    <Spin spinning={tasks.loading && !tasks.page}>
      <Space style={{ marginBottom: 16 }}>
        {can.editTasks && (
          <Button type="primary" onClick={() => navigate('/tasks/new')} data-testid="new-task">
            {t('tasks.create')}
          </Button>
        )}
        <Button onClick={tasks.reload} data-testid="refresh">
          {t('common.refresh')}
        </Button>
        {tasks.error && <Typography.Text type="danger">{t('common.failedToLoad', { message: tasks.error })}</Typography.Text>}
      </Space>
      <Row gutter={24} align="top" wrap>
        <Column title={t('tasks.upstream')} tasks={items.filter((task) => task.direction === 'upstream')} onChanged={tasks.reload} />
        <Col xs={24} md={6}>
          <Typography.Title level={5}>&nbsp;</Typography.Title>
          <Tooltip title={t('tasks.hubHelp')}>
            <Card style={{ textAlign: 'center', borderColor: '#1677ff', marginTop: 40 }} data-testid="hub-node">
              <Typography.Title level={4} style={{ margin: 0 }}>
                ⇢ {t('tasks.hub')} ⇢
              </Typography.Title>
            </Card>
          </Tooltip>
        </Col>
        <Column title={t('tasks.downstream')} tasks={items.filter((task) => task.direction === 'downstream')} onChanged={tasks.reload} />
      </Row>
      {tasks.page && tasks.page.total > tasks.pageSize && (
        <Pagination style={{ marginTop: 16 }} current={tasks.pageNo} pageSize={tasks.pageSize} total={tasks.page.total} onChange={tasks.setPage} showTotal={(n) => t('common.total', { n })} />
      )}
    </Spin>
  );
}

