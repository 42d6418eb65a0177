// The hub directory: the department tree (a level at a time) and its people, paged and searchable.
import { Card, Col, Input, Row, Table, Tag, Tree } from 'antd';
import { useEffect, useState } from 'react';
import { api, type HubUser } from '../api';
import { useI18n } from '../i18n';
import { usePaged } from '../usePaged';

interface Node {
  key: string;
  title: string;
  isLeaf?: boolean;
  children?: Node[];
}

const withChildren = (nodes: Node[], key: string, children: Node[]): Node[] => nodes.map((n) => (n.key === key ? { ...n, children } : n.children ? { ...n, children: withChildren(n.children, key, children) } : n));

export function DirectoryPage() {
  const { t } = useI18n();
  const [tree, setTree] = useState<Node[]>([]);
  const [department, setDepartment] = useState<string | undefined>();
  const [q, setQ] = useState<string | undefined>();
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
        <Card size="small" title={t('dir.people')} extra={<Input.Search allowClear placeholder={t('dir.search')} onSearch={(v) => setQ(v.trim() || undefined)} style={{ width: 260 }} />}>
          <Table<HubUser>
            rowKey="id"
            size="small"
            virtual
            scroll={{ x: 800, y: 560 }}
            loading={people.loading}
            dataSource={people.page?.items ?? []}
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
    </Row>
  );
}
