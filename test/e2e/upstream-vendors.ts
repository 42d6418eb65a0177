// Feishu and DingTalk as upstream sources for end-to-end tests: each fake started with webhook keys
// from the vendors' published callback vectors (/work/shared/vectors), seeded with one company in
// the vendor's own shape, and driven the way the vendor is: its contact API changes the directory,
// then its signed, encrypted change event goes to our webhook (the fake's POST /__fake/emit).
import type { TaskConfigInput } from '../../engine/task-config';
import { createDingtalkConnector } from '../../connectors/dingtalk';
import { startDingtalkFake } from '../../connectors/dingtalk/fake';
import { createFeishuConnector } from '../../connectors/feishu';
import { startFeishuFake } from '../../connectors/feishu/fake';
import { fakeControl } from '../../connectors/shared/test-helpers';
import { loadCallbackVectors } from '../../connectors/shared/test-vectors';
import type { Connector } from '../../connectors/types';

/** One person of the source company; `mobile` as the vendor writes it. */
export interface SourcePerson {
  username: string;
  name: string;
  mobile: string;
  title: string;
  department: 'Engineering' | 'Sales';
  manager: string | null;
}

export type ChangeKind = 'created' | 'updated' | 'deleted';

export interface UpstreamVendor {
  kind: 'feishu' | 'dingtalk';
  label: string;
  /** the vendor's id of each department of the company */
  departmentIds: Record<'Acme' | 'Engineering' | 'Sales', string>;
  /** the vendor's own form of an E.164 mobile */
  mobileForm(e164: string): string;
  start(): Promise<{ url: string; close(): Promise<void> }>;
  seed(people: readonly SourcePerson[]): unknown;
  /** the upstream task's connector, webhook secrets included */
  taskConnector(): TaskConfigInput['connector'];
  /** the vendor's contact API, for changes an admin makes there */
  admin(): Connector;
  /** `/__fake/emit` bodies (without url): the URL check, and a change event about a user */
  urlCheck: Record<string, unknown>;
  userEvent(kind: ChangeKind, userId: string): Record<string, unknown>;
  departmentEvent(kind: ChangeKind, departmentId: string): Record<string, unknown>;
}

const vectors = loadCallbackVectors();
// The published vectors' keys: Feishu's encrypt key; DingTalk's token, AES key and app key (receive id).
const feishuKeys = { encryptKey: vectors.feishu[0].encryptKey, verificationToken: 'e2e-feishu-verification-token' };
const dingtalkVector = vectors.dingtalk.find((v) => v.receiveId.startsWith('ding'))!;
export const dingtalkKeys = { token: dingtalkVector.token, aesKey: dingtalkVector.aesKey, appKey: dingtalkVector.receiveId };

const feishuApp = { appId: 'cli_e2e_upstream01', appSecret: 'e2e-feishu-upstream-secret' };
const dingtalkApp = { appKey: dingtalkKeys.appKey, appSecret: 'e2e-dingtalk-upstream-secret' };

/** `+86138…` → `138…`, `+852…` → `+852<separator>…`: how DingTalk (and WeCom) show numbers. */
const homeForm = (separator: string) => (e164: string) => (e164.startsWith('+86') ? e164.slice(3) : e164.replace(/^\+852/, `+852${separator}`));

export function feishuVendor(): UpstreamVendor {
  let baseUrl = '';
  const departmentIds = { Acme: 'acme', Engineering: 'eng', Sales: 'sales' };
  return {
    kind: 'feishu',
    label: 'Feishu',
    departmentIds,
    mobileForm: (e164) => e164, // Feishu keeps E.164
    async start() {
      const fake = await startFeishuFake({ ...feishuApp, events: feishuKeys });
      baseUrl = fake.baseUrl;
      return fake;
    },
    seed: (people) => ({
      departments: [
        { department_id: 'acme', name: 'Acme', parent_department_id: '0' },
        { department_id: 'eng', name: 'Engineering', parent_department_id: 'acme', leader_user_id: people[0].username },
        { department_id: 'sales', name: 'Sales', parent_department_id: 'acme' },
      ],
      users: people.map((p) => ({
        user_id: p.username,
        name: p.name,
        mobile: p.mobile,
        email: `${p.username}@acme.test`,
        job_title: p.title,
        department_ids: [departmentIds[p.department]],
        ...(p.manager ? { leader_user_id: p.manager } : {}),
      })),
    }),
    taskConnector: () => ({
      kind: 'feishu',
      settings: { baseUrl, appId: feishuApp.appId },
      secrets: { appSecret: feishuApp.appSecret, eventEncryptKey: feishuKeys.encryptKey, eventVerificationToken: feishuKeys.verificationToken },
    }),
    admin: () => createFeishuConnector({ baseUrl, appId: feishuApp.appId }, { appSecret: feishuApp.appSecret }),
    urlCheck: { urlVerification: true },
    userEvent: (kind, userId) => ({ event_type: `contact.user.${kind}_v3`, id: userId }),
    departmentEvent: (kind, departmentId) => ({ event_type: `contact.department.${kind}_v3`, id: departmentId }),
  };
}

export function dingtalkVendor(): UpstreamVendor {
  let urls = { oapiBaseUrl: '', apiBaseUrl: '' };
  // The company is DingTalk's root department 1, as a tenant's is.
  const departmentIds = { Acme: '1', Engineering: '3', Sales: '4' };
  const userEvents: Record<ChangeKind, string> = { created: 'user_add_org', updated: 'user_modify_org', deleted: 'user_leave_org' };
  const departmentEvents: Record<ChangeKind, string> = { created: 'org_dept_create', updated: 'org_dept_modify', deleted: 'org_dept_remove' };
  return {
    kind: 'dingtalk',
    label: 'DingTalk',
    departmentIds,
    mobileForm: homeForm('-'), // DingTalk: bare mainland numbers, +xx-xxxxxx for the rest
    async start() {
      const fake = await startDingtalkFake({ ...dingtalkApp, callback: { token: dingtalkKeys.token, aesKey: dingtalkKeys.aesKey } });
      urls = { oapiBaseUrl: fake.oapiBaseUrl, apiBaseUrl: fake.apiBaseUrl };
      return fake;
    },
    seed: (people) => ({
      department: [
        { dept_id: 1, name: 'Acme' },
        { dept_id: 3, name: 'Engineering', parent_id: 1, dept_manager_userid_list: [people[0].username] },
        { dept_id: 4, name: 'Sales', parent_id: 1 },
      ],
      userlist: people.map((p) => ({
        userid: p.username,
        name: p.name,
        mobile: p.mobile,
        email: `${p.username}@acme.test`,
        title: p.title,
        dept_id_list: [Number(departmentIds[p.department])],
        ...(p.manager ? { manager_userid: p.manager } : {}),
      })),
    }),
    taskConnector: () => ({
      kind: 'dingtalk',
      settings: { ...urls, appKey: dingtalkApp.appKey },
      secrets: { appSecret: dingtalkApp.appSecret, callbackToken: dingtalkKeys.token, callbackAesKey: dingtalkKeys.aesKey },
    }),
    admin: () => createDingtalkConnector({ ...urls, appKey: dingtalkApp.appKey }, { appSecret: dingtalkApp.appSecret }),
    urlCheck: { checkUrl: true },
    userEvent: (kind, userId) => ({ event: { EventType: userEvents[kind], UserId: [userId] } }),
    departmentEvent: (kind, departmentId) => ({ event: { EventType: departmentEvents[kind], DeptId: [Number(departmentId)] } }),
  };
}

/** The vendor fake sends its signed, encrypted delivery to `url`; returns our webhook's answer. */
export async function emit(fake: { url: string }, url: string, body: Record<string, unknown>): Promise<{ status: number; body: string; verified?: boolean }> {
  const res = await fakeControl(fake, 'emit', { url, ...body });
  if (res.status !== 200) throw new Error(`the fake refused to emit: ${JSON.stringify(res.body)}`);
  return (res.body as { response: { status: number; body: string; verified?: boolean } }).response;
}
