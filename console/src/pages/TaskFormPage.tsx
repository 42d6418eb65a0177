// Create or edit a sync task as a guided form generated from the connector definitions
// (GET /connector-kinds): settings from each kind's schema, write-only credentials, the connection
// test with each check's result, scope, field mapping rows, match rules, offboarding, timing (real
// time with its debounce and the webhook URL to copy) and deletion protection (a second approver
// too). Every 400 from the API is shown beside the field it names.
import { App, Alert, Button, Card, Col, Form, Input, InputNumber, List, Radio, Row, Select, Space, Spin, Switch, Table, TreeSelect, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { api, ApiFailure, type ConnectionCheck, type ConnectorKind, type FieldIssue, type JsonSchema, type MappingPreview, type Task } from '../api';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import { bodyOf, defaultsFor, everyOptions, fieldPath, FormFieldError, hubFields, isStructured, matchKeys, valuesOfTask, weekdays, type TaskFormValues } from '../taskBody';

const requiredOf = (schema: JsonSchema) => new Set(schema.required ?? []);

/** One setting's input, chosen by its JSON Schema; Form.Item's id, value and onChange go through to it. */
function SettingInput({ schema, ...field }: { schema: JsonSchema; id?: string; value?: unknown; onChange?: (value: unknown) => void }) {
  const options = schema.enum ?? schema.anyOf?.flatMap((s) => s.enum ?? []);
  if (options && options.length > 0) return <Select {...field} allowClear options={options.map((v) => ({ value: v as string, label: String(v) }))} />;
  if (isStructured(schema)) return <Input.TextArea id={field.id} value={field.value as string | undefined} onChange={(e) => field.onChange?.(e.target.value)} autoSize={{ minRows: 2, maxRows: 8 }} placeholder="JSON" />;
  if (schema.type === 'integer' || schema.type === 'number') return <InputNumber id={field.id} value={field.value as number | undefined} onChange={(v) => field.onChange?.(v)} style={{ width: '100%' }} min={schema.minimum} max={schema.maximum} />;
  return <Input id={field.id} value={field.value as string | undefined} onChange={(e) => field.onChange?.(e.target.value)} placeholder={schema.default !== undefined ? String(schema.default) : undefined} />;
}

interface TreeNode {
  id: string;
  pId: string | number;
  value: string;
  title: string;
  isLeaf?: boolean;
}

/** The hub's department tree, loaded a level at a time, with checkboxes. */
function DepartmentPicker(props: { value?: string[]; onChange?: (ids: string[]) => void }) {
  const [nodes, setNodes] = useState<TreeNode[]>([]);
  const load = async (parentId?: string) => {
    const page = await api.departments({ limit: 500, offset: 0, ...(parentId ? { parentId } : { topLevel: true }) });
    setNodes((prev) => [...prev.filter((n) => !page.items.some((d) => d.id === n.id)), ...page.items.map((d) => ({ id: d.id, pId: d.parentId ?? 0, value: d.id, title: d.name }))]);
  };
  useEffect(() => {
    void load();
  }, []);
  return (
    <TreeSelect
      treeDataSimpleMode
      treeCheckable
      treeCheckStrictly
      showCheckedStrategy={TreeSelect.SHOW_ALL}
      allowClear
      style={{ width: '100%' }}
      treeData={nodes}
      loadData={(node) => load(String(node.value))}
      value={(props.value ?? []).map((id) => ({ value: id, label: nodes.find((n) => n.id === id)?.title ?? id }))}
      onChange={(picked: { value: string }[]) => props.onChange?.(picked.map((p) => p.value))}
      data-testid="scope-departments"
    />
  );
}

/** People of the hub, searched as one types. */
function PersonPicker(props: { value?: string[]; onChange?: (ids: string[]) => void }) {
  const [options, setOptions] = useState<{ value: string; label: string }[]>([]);
  const search = (q: string) => void api.users({ limit: 20, offset: 0, q: q || undefined }).then((page) => setOptions(page.items.map((u) => ({ value: u.id, label: `${u.name} (${u.username})` }))));
  useEffect(() => search(''), []);
  return <Select mode="multiple" allowClear showSearch filterOption={false} onSearch={search} options={options} value={props.value} onChange={props.onChange} data-testid="scope-users" />;
}

function CheckResults({ result }: { result: { ok: boolean; checks: ConnectionCheck[] } }) {
  const { t } = useI18n();
  return (
    <Alert
      type={result.ok ? 'success' : 'error'}
      showIcon
      message={t(result.ok ? 'form.testOk' : 'form.testFailed')}
      data-testid="connection-result"
      description={
        <List
          size="small"
          dataSource={result.checks}
          renderItem={(check) => (
            <List.Item data-testid={`check-${check.name}`} data-ok={String(check.ok)}>
              <Typography.Text type={check.ok ? 'success' : 'danger'}>{check.ok ? '✓' : '✗'}</Typography.Text> <Typography.Text code>{check.name}</Typography.Text> {check.detail}
            </List.Item>
          )}
        />
      }
    />
  );
}

/** The mapped values of a few real hub users, one column per field the mapping writes. */
function MappingPreviewTable({ rows }: { rows: MappingPreview[] }) {
  const { t } = useI18n();
  const fields = [...new Set(rows.flatMap((row) => Object.keys(row.values)))];
  return (
    <Table<MappingPreview>
      size="small"
      rowKey="id"
      style={{ marginTop: 12 }}
      pagination={false}
      scroll={{ x: true }}
      dataSource={rows}
      data-testid="mapping-preview"
      title={() => t('form.previewTitle')}
      columns={[
        { title: t('dir.name'), dataIndex: 'name', fixed: 'left' },
        ...fields.map((field) => ({ title: field, key: field, render: (_: unknown, row: MappingPreview) => (row.values[field] === null || row.values[field] === undefined ? '—' : typeof row.values[field] === 'string' ? (row.values[field] as string) : JSON.stringify(row.values[field])) })),
        { title: t('run.error'), dataIndex: 'error', render: (error: string | null) => (error ? <Typography.Text type="danger">{error}</Typography.Text> : null) },
      ]}
    />
  );
}

export function TaskFormPage() {
  const { id } = useParams();
  const { t } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [form] = Form.useForm<TaskFormValues>();
  const [kinds, setKinds] = useState<ConnectorKind[] | null>(null);
  const [task, setTask] = useState<Task | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [unplaced, setUnplaced] = useState<FieldIssue[]>([]);
  const [testResult, setTestResult] = useState<{ ok: boolean; checks: ConnectionCheck[] } | null>(null);
  const [busy, setBusy] = useState<'save' | 'test' | 'preview' | null>(null);
  const [preview, setPreview] = useState<MappingPreview[] | null>(null);
  const kindName = Form.useWatch(['connector', 'kind'], form);
  const direction = Form.useWatch('direction', form);
  const every = Form.useWatch(['triggers', 'schedule', 'every'], form);
  const protectionMode = Form.useWatch(['deletionProtection', 'mode'], form);
  const realtime = Form.useWatch(['triggers', 'realtime'], form);
  const kind = useMemo(() => kinds?.find((k) => k.kind === kindName), [kinds, kindName]);

  useEffect(() => {
    void (async () => {
      try {
        const { items } = await api.connectorKinds();
        setKinds(items);
        if (id) {
          const stored = await api.task(id);
          setTask(stored);
          form.setFieldsValue(valuesOfTask(stored, items.find((k) => k.kind === stored.connectorKind)));
        } else form.setFieldsValue(defaultsFor(items[0], items[0]?.directions[0] ?? 'downstream'));
      } catch (err) {
        setLoadError(err instanceof Error ? err.message : String(err));
      }
    })();
  }, [id, form]);

  const pickKind = (next: string) => {
    const picked = kinds?.find((k) => k.kind === next);
    const dir = picked?.directions.includes(form.getFieldValue('direction')) ? form.getFieldValue('direction') : (picked?.directions[0] ?? 'downstream');
    form.setFieldsValue({ direction: dir, connector: { kind: next, settings: {}, secrets: {} }, fieldMapping: defaultsFor(picked, dir).fieldMapping });
    setTestResult(null);
  };

  /** Puts each issue beside its field; the ones that name no input of the form are listed on top. */
  const showIssues = (issues: FieldIssue[]) => {
    const registered = new Set(form.getFieldsError().map((f) => JSON.stringify(f.name)));
    const placed = issues.filter((issue) => registered.has(JSON.stringify(fieldPath(issue.field))));
    const rest = issues.filter((issue) => !placed.includes(issue));
    form.setFields(placed.map((issue) => ({ name: fieldPath(issue.field) as never, errors: [issue.message] })));
    setUnplaced(rest);
    if (placed[0]) form.scrollToField(fieldPath(placed[0].field) as never);
  };

  const buildBody = (values: TaskFormValues) => {
    if (!kind) throw new FormFieldError(['connector', 'kind'], 'choose an app');
    return bodyOf(values, kind, { admin: can.admin, previous: task ?? undefined });
  };

  const handle = async (what: 'save' | 'test' | 'preview') => {
    setUnplaced([]);
    form.setFields(form.getFieldsError().filter((f) => f.errors.length > 0).map((f) => ({ name: f.name, errors: [] })));
    setBusy(what);
    try {
      const values = form.getFieldsValue(true) as TaskFormValues;
      const body = buildBody(values);
      if (what === 'preview') {
        setPreview((await api.previewMapping({ kind: (body.connector as { kind: string }).kind, fieldMapping: body.fieldMapping, limit: 5 })).items);
      } else if (what === 'test') {
        const typedSecrets = Object.keys((body.connector as { secrets: Record<string, string> }).secrets).length > 0;
        // An edit without new credentials tests the stored task with its stored secrets (never sent back to the browser).
        setTestResult(task && !typedSecrets ? await api.testStoredConnection(task.id) : await api.testConnection(body));
      } else {
        const saved = task ? await api.patchTask(task.id, body) : await api.createTask(body);
        void message.success(t('form.saved'));
        void navigate(`/tasks/${saved.id}/runs`);
      }
    } catch (err) {
      if (err instanceof FormFieldError) form.setFields([{ name: err.field as never, errors: [err.message] }]);
      else if (err instanceof ApiFailure && err.status === 400) showIssues(err.issues.length > 0 ? err.issues : [{ field: err.field ?? 'body', message: err.message }]);
      else if (err instanceof ApiFailure && err.field) showIssues([{ field: err.field, message: err.message }]);
      else void message.error(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(null);
    }
  };

  if (loadError) return <Alert type="error" message={t('common.failedToLoad', { message: loadError })} />;
  if (!kinds) return <Spin />;
  const settingsSchema = kind?.settings ?? {};
  const secretsSchema = kind?.secrets ?? {};
  const requiredSettings = requiredOf(settingsSchema);
  const requiredSecrets = requiredOf(secretsSchema);
  const adminOnly = can.admin ? undefined : t('form.adminOnly');
  return (
    <Form<TaskFormValues> form={form} layout="vertical" style={{ maxWidth: 1000 }} data-testid="task-form" disabled={!can.editTasks}>
      <Typography.Title level={4}>{task ? t('form.editTitle', { name: task.name }) : t('form.createTitle')}</Typography.Title>
      {unplaced.length > 0 && <Alert type="error" showIcon style={{ marginBottom: 16 }} message={t('form.refused', { message: '' })} description={unplaced.map((i) => `${i.field}: ${i.message}`).join('\n')} data-testid="form-errors" />}
      <Card title={t('form.basics')} size="small" style={{ marginBottom: 16 }}>
        <Row gutter={16}>
          <Col span={8}>
            <Form.Item name="name" label={t('form.name')} required>
              <Input data-testid="field-name" />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name={['connector', 'kind']} label={t('form.kind')} required>
              <Select onChange={pickKind} options={kinds.map((k) => ({ value: k.kind, label: k.kind }))} data-testid="field-kind" />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="direction" label={t('form.direction')} required>
              <Radio.Group options={(kind?.directions ?? ['upstream', 'downstream']).map((d) => ({ value: d, label: t(`direction.${d}`) }))} optionType="button" />
            </Form.Item>
          </Col>
        </Row>
      </Card>
      <Card title={t('form.settings')} size="small" style={{ marginBottom: 16 }}>
        <Row gutter={16}>
          {Object.entries(settingsSchema.properties ?? {}).map(([key, schema]) => (
            <Col span={12} key={key}>
              <Form.Item name={['connector', 'settings', key]} label={key} required={requiredSettings.has(key)} extra={schema.description}>
                <SettingInput schema={schema} />
              </Form.Item>
            </Col>
          ))}
        </Row>
      </Card>
      <Card title={t('form.secrets')} size="small" style={{ marginBottom: 16 }} extra={<Typography.Text type="secondary">{t('form.secretWriteOnly')}</Typography.Text>}>
        <Row gutter={16}>
          {Object.entries(secretsSchema.properties ?? {}).map(([key, schema]) => (
            <Col span={12} key={key}>
              <Form.Item name={['connector', 'secrets', key]} label={key} required={requiredSecrets.has(key) && !task?.hasSecrets.includes(key)} extra={schema.description}>
                <Input.Password autoComplete="new-password" visibilityToggle={false} placeholder={task?.hasSecrets.includes(key) ? t('form.secretStored') : undefined} data-testid={`secret-${key}`} />
              </Form.Item>
            </Col>
          ))}
        </Row>
        {kind?.connectionTest && can.editTasks && (
          <Space orientation="vertical" style={{ width: '100%' }}>
            <Button onClick={() => void handle('test')} loading={busy === 'test'} data-testid="test-connection">
              {t('form.test')}
            </Button>
            {testResult && <CheckResults result={testResult} />}
          </Space>
        )}
      </Card>
      {direction === 'downstream' && (
        <Card title={t('form.scope')} size="small" style={{ marginBottom: 16 }}>
          <Form.Item name={['scope', 'departmentIds']} label={t('form.scopeDepartments')}>
            <DepartmentPicker />
          </Form.Item>
          <Form.Item name={['scope', 'userIds']} label={t('form.scopeUsers')}>
            <PersonPicker />
          </Form.Item>
          <Form.Item name={['scope', 'includeNewUsers']} label={t('form.includeNewUsers')} valuePropName="checked">
            <Switch />
          </Form.Item>
        </Card>
      )}
      <Card title={t('form.mapping')} size="small" style={{ marginBottom: 16 }}>
        <Form.List name="fieldMapping">
          {(fields, { add, remove }) => (
            <>
              {fields.map((field) => (
                <Row gutter={8} key={field.key} align="top">
                  <Col span={7}>
                    <Form.Item name={[field.name, 'target']} label={field.name === 0 ? t('form.mappingTarget') : undefined}>
                      <Input list="mapping-targets" />
                    </Form.Item>
                  </Col>
                  <Col span={6}>
                    <Form.Item name={[field.name, 'source']} label={field.name === 0 ? t('form.mappingSource') : undefined}>
                      <Select allowClear options={hubFields.map((f) => ({ value: f, label: f }))} />
                    </Form.Item>
                  </Col>
                  <Col span={9}>
                    <Form.Item name={[field.name, 'expression']} label={field.name === 0 ? t('form.mappingExpression') : undefined}>
                      <Input placeholder="$lowercase(email)" />
                    </Form.Item>
                  </Col>
                  <Col span={2}>
                    <Button type="text" danger onClick={() => remove(field.name)} style={{ marginTop: field.name === 0 ? 30 : 0 }}>
                      ✕
                    </Button>
                  </Col>
                </Row>
              ))}
              <datalist id="mapping-targets">
                {[...new Set([...hubFields, ...(kind?.defaultMapping ?? []).map((row) => row.vendorField ?? row.target)])].map((f) => (
                  <option key={f} value={f} />
                ))}
              </datalist>
              <Space>
                <Button type="dashed" onClick={() => add({ target: '', source: undefined })}>
                  {t('form.mappingAdd')}
                </Button>
                {can.editTasks && (
                  <Button onClick={() => void handle('preview')} loading={busy === 'preview'} data-testid="preview-mapping">
                    {t('form.preview')}
                  </Button>
                )}
              </Space>
              {preview && <MappingPreviewTable rows={preview} />}
            </>
          )}
        </Form.List>
        <Form.Item name="matchRules" label={t('form.matchRules')} style={{ marginTop: 16 }}>
          <Select mode="multiple" options={matchKeys.map((k) => ({ value: k, label: k }))} />
        </Form.Item>
      </Card>
      <Card title={t('form.timing')} size="small" style={{ marginBottom: 16 }}>
        <Row gutter={16}>
          <Col span={8}>
            <Form.Item name={['triggers', 'schedule', 'every']} label={t('form.every')}>
              <Select options={everyOptions.map((e) => ({ value: e, label: t(`form.every.${e}`) }))} data-testid="field-every" />
            </Form.Item>
          </Col>
          {every === 'cron' && (
            <Col span={8}>
              <Form.Item name={['triggers', 'schedule', 'cron']} label="cron">
                <Input placeholder="0 2 * * 1-5" />
              </Form.Item>
            </Col>
          )}
          {every === 'weekly' && (
            <Col span={8}>
              <Form.Item name={['triggers', 'schedule', 'dayOfWeek']} label={t('form.dayOfWeek')}>
                <Select allowClear placeholder="monday" options={weekdays.map((d) => ({ value: d, label: d }))} />
              </Form.Item>
            </Col>
          )}
          {every === 'monthly' && (
            <Col span={8}>
              <Form.Item name={['triggers', 'schedule', 'dayOfMonth']} label={t('form.dayOfMonth')}>
                <InputNumber min={1} max={31} placeholder="1" style={{ width: '100%' }} />
              </Form.Item>
            </Col>
          )}
          {every && every !== 'none' && every !== 'cron' && (
            <>
              <Col span={8}>
                <Form.Item name={['triggers', 'schedule', 'at']} label={t('form.at')}>
                  <Input placeholder="02:00" />
                </Form.Item>
              </Col>
            </>
          )}
          {every && every !== 'none' && (
            <Col span={8}>
              <Form.Item name={['triggers', 'schedule', 'timezone']} label={t('form.timezone')}>
                <Input placeholder="Asia/Shanghai" />
              </Form.Item>
            </Col>
          )}
        </Row>
        <Row gutter={16}>
          <Col span={8}>
            <Form.Item name={['triggers', 'realtime']} label={t('form.realtime')} valuePropName="checked">
              <Switch data-testid="field-realtime" />
            </Form.Item>
          </Col>
          {realtime && (
            <Col span={16}>
              {/* No min/max here: a value out of range is the API's 400, shown under this input. */}
              <Form.Item name="realtimeDebounceMs" label={t('form.realtimeDebounce')}>
                <InputNumber precision={0} placeholder="1000" style={{ width: 200 }} data-testid="field-realtime-debounce" />
              </Form.Item>
            </Col>
          )}
        </Row>
        {task?.webhookUrl && (
          <Form.Item label={t('form.webhookUrl')}>
            <Typography.Paragraph copyable code style={{ margin: 0 }} data-testid="webhook-url">
              {task.webhookUrl.startsWith('/') ? `${location.origin}${task.webhookUrl}` : task.webhookUrl}
            </Typography.Paragraph>
          </Form.Item>
        )}
      </Card>
      <Card title={t('form.protection')} size="small" style={{ marginBottom: 16 }} extra={adminOnly}>
        <fieldset disabled={!can.admin} style={{ border: 0, padding: 0, margin: 0 }}>
          <Form.Item name="offboarding" label={t('form.offboarding')}>
            <Radio.Group disabled={!can.admin} options={(['disable', 'delete'] as const).map((o) => ({ value: o, label: t(`form.offboarding.${o}`) }))} />
          </Form.Item>
          <Form.Item name={['deletionProtection', 'mode']} label={t('form.protection')}>
            <Radio.Group disabled={!can.admin} options={(['always', 'threshold'] as const).map((m) => ({ value: m, label: t(`form.protection.${m}`) }))} />
          </Form.Item>
          {protectionMode === 'threshold' && (
            <Row gutter={16}>
              <Col span={8}>
                <Form.Item name={['deletionProtection', 'minCount']} label={t('form.minCount')}>
                  <InputNumber min={1} disabled={!can.admin} style={{ width: '100%' }} />
                </Form.Item>
              </Col>
              <Col span={8}>
                <Form.Item name={['deletionProtection', 'minPercent']} label={t('form.minPercent')}>
                  <InputNumber min={0} max={100} disabled={!can.admin} style={{ width: '100%' }} />
                </Form.Item>
              </Col>
            </Row>
          )}
          <Form.Item name={['deletionProtection', 'expireAfterDays']} label={t('form.expireAfterDays')}>
            <InputNumber min={1} max={3650} disabled={!can.admin} />
          </Form.Item>
          <Form.Item name={['massOffboardingGuard', 'maxDisablePercent']} label={t('form.guard')}>
            <InputNumber min={0} max={100} disabled={!can.admin} />
          </Form.Item>
          <Form.Item name="requireSecondApprover" label={t('form.requireSecondApprover')} valuePropName="checked">
            <Switch disabled={!can.admin} data-testid="field-second-approver" />
          </Form.Item>
        </fieldset>
      </Card>
      {can.editTasks && (
        <Space>
          <Button type="primary" onClick={() => void handle('save')} loading={busy === 'save'} data-testid="save-task">
            {t('common.save')}
          </Button>
          <Button onClick={() => navigate(-1)}>{t('common.cancel')}</Button>
        </Space>
      )}
    </Form>
  );
}
