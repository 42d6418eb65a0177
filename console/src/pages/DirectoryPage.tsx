// The hub directory: the department tree (a level at a time) and its people, paged and searchable;
// a person's view (a click on their row) shows their link in every app: the remote id, the link's
// status, the last write about them (with the vendor's error) and each task's last run.
import { Alert, Card, Col, Descriptions, Drawer, Input, Row, Table, Tag, Tree, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { api, type HubUser, type UserLink } from '../api';
import { formatTime, statusTagColor } from '../format';
import { useI18n } from '../i18n';
import { usePaged } from '../usePaged';

interface Node {
  key: string;
  title: string;
  isLeaf?: boolean;
  children?: Node[];
}

const withChildren = (nodes: Node[], key: string, children: Node[]): Node[] => nodes.map((n) => (n.key === key ? { ...n, children } : n.children ? { ...n, children: withChildren(n.children, key, children) } : n));

const linkColor: Record<UserLink['status'], string> = { linked: 'green', not_linked: 'default', failed: 'red', pending_deletion: 'orange' };

/** One person and their link in every app. */
function PersonDrawer({ person, onClose }: { person: HubUser | null; onClose: () => void }) {
  const { t, lang } = useI18n();
  // One row per task: paged by the API, as a hub may hold a thousand apps.
  const links = usePaged((query) => (person ? api.userLinks(person.id, query) : Promise.resolve({ items: [], total: 0, limit: query.limit, offset: 0 })), [person?.id], 20);
  const error = links.error;
  return (
    <Drawer open={person !== null} onClose={onClose} size={1000} title={person ? t('dir.linksOf', { name: person.name }) : ''} data-testid="person-view">
      {person && (
        <Descriptions size="small" bordered column={2} style={{ marginBottom: 16 }}>
          <Descriptions.Item label={t('dir.username')}>{person.username}</Descriptions.Item>
          <Descriptions.Item label={t('dir.status')}>{person.status}</Descriptions.Item>
          <Descriptions.Item label={t('dir.email')}>{person.email ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('dir.mobile')}>{person.mobile ?? '—'}</Descriptions.Item>
        </Descriptions>
      )}
      {error && <Alert type="error" message={t('common.failedToLoad', { message: error })} />}
      <Table<UserLink>
        rowKey="taskId"
        size="small"
        loading={links.loading}
        dataSource={links.page?.items ?? []}
        pagination={{ current: links.pageNo, pageSize: links.pageSize, total: links.page?.total ?? 0, onChange: links.setPage, showSizeChanger: true, showTotal: (n) => t('common.total', { n }) }}
        scroll={{ x: 900 }}
        data-testid="person-links"
        title={() => t('dir.links')}
        columns={[
          {
            title: t('dir.app'),
            key: 'task',
            width: 220,
            render: (_: unknown, l: UserLink) => (
              <span data-testid={`link-${l.taskId}`}>
                <Link to={`/tasks/${l.taskId}/runs`}>{l.taskName}</Link> <Tag>{l.connectorKind}</Tag>
                {l.direction === 'upstream' && <Tag color="blue">{t('direction.upstream')}</Tag>}
              </span>
            ),
          },
          { title: t('dir.remoteId'), dataIndex: 'remoteId', width: 160, render: (id: string | null) => (id ? <Typography.Text code copyable>{id}</Typography.Text> : '—') },
          { title: t('dir.linkStatus'), dataIndex: 'status', width: 140, render: (s: UserLink['status']) => <Tag color={linkColor[s]} data-testid="link-status" data-status={s}>{t(`link.${s}`)}</Tag> },
          { title: t('dir.lastSynced'), dataIndex: 'lastSyncedAt', width: 170, render: (at: string | null) => formatTime(at, lang) },
          {
            title: t('dir.lastItem'),
            key: 'lastItem',
            width: 260,
            render: (_: unknown, l: UserLink) =>
              l.lastItem ? (
                <span>
                  <Link to={`/runs/${l.lastItem.runId}`}>{l.lastItem.action}</Link> <Tag color={statusTagColor[l.lastItem.status]}>{t(`status.${l.lastItem.status}` as 'status.failed')}</Tag>
                  {l.lastItem.errorMessage && (
                    <Typography.Text type="danger" copyable>
                      {`${l.lastItem.errorCode ?? ''} ${l.lastItem.errorMessage}`.trim()}
                    </Typography.Text>
                  )}
                </span>
              ) : (
                '—'
              ),
          },
          {
            title: t('dir.lastRun'),
            key: 'lastRun',
            width: 220,
            render: (_: unknown, l: UserLink) =>
              l.lastRun ? (
                <span>
                  <Link to={`/runs/${l.lastRun.id}`}>{formatTime(l.lastRun.startedAt, lang)}</Link> <Tag color={statusTagColor[l.lastRun.status]}>{t(`status.${l.lastRun.status}` as 'status.failed')}</Tag>
                </span>
              ) : (
                '—'
              ),
          },
        ]}
      />
    </Drawer>
  );
}

export function DirectoryPage() {
  const { t } = useI18n();
  const [tree, setTree] = useState<Node[]>([]);
  const [department, setDepartment] = useState<string | undefined>();
  const [q, setQ] = useState<string | undefined>();
  const [person, setPerson] = useState<HubUser | null>(null);
  const people = usePaged((query) => api.users({ ...query, departmentId: department, q }), [department, q], 50);
  const level = async (parentId?: string): Promise<Node[]> => {
    const page = await api.departments({ limit: 500, offset: 0, ...(parentId ? { parentId } : { topLevel: true }) });
    return page.items.map((d) => ({ key: d.id, title: d.name }));
  };
  useEffect(() => {
    void level().then(setTree);
  }, []);
  return (
    <Row gutter={16}>
      <Col xs={24} md={7}>
        <Card size="small" title={t('dir.departments')}>
          <Tree<Node>
            treeData={tree}
            height={600}
            loadData={async (node) => {
              const children = await level(String(node.key));
              setTree((prev) => withChildren(prev, String(node.key), children.length ? children : []));
            }}
            onSelect={(keys) => setDepartment(keys[0] === undefined ? undefined : String(keys[0]))}
            data-testid="department-tree"
          />
        </Card>
      </Col>
      <Col xs={24} md={17}>
        <Card size="small" title={t('dir.people')} extra={<Input.Search allowClear placeholder={t('dir.search')} onSearch={(v) => setQ(v.trim() || undefined)} style={{ width: 260 }} data-testid="people-search" />}>
          <Table<HubUser>
            rowKey="id"
            size="small"
            virtual
            scroll={{ x: 800, y: 560 }}
            loading={people.loading}
            dataSource={people.page?.items ?? []}
            onRow={(row) => ({ onClick: () => setPerson(row), style: { cursor: 'pointer' } })}
            data-testid="people"
            pagination={{ current: people.pageNo, pageSize: people.pageSize, total: people.page?.total ?? 0, onChange: people.setPage, showSizeChanger: true, showTotal: (n) => t('common.total', { n }) }}
            columns={[
              { title: t('dir.username'), dataIndex: 'username', width: 150 },
              { title: t('dir.name'), dataIndex: 'name', width: 150 },
              { title: t('dir.email'), dataIndex: 'email', width: 200, ellipsis: true },
              { title: t('dir.mobile'), dataIndex: 'mobile', width: 150 },
              { title: t('dir.title'), dataIndex: 'title', width: 150 },
              { title: t('dir.status'), dataIndex: 'status', width: 100, render: (s: string) => <Tag color={s === 'active' ? 'green' : 'default'}>{s}</Tag> },
            ]}
          />
        </Card>
      </Col>
      <PersonDrawer person={person} onClose={() => setPerson(null)} />
    </Row>
  );
}
