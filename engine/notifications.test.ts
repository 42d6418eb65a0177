// Which events a finished run raises, the message each becomes, and which stored errors count as
// refused credentials (the texts the connectors store, e.g. WeCom's gettoken refusal).
import { composeMessage, isCredentialFailure, messageText, runEvents, type RunFacts } from './notifications';

const facts = (over: Partial<RunFacts> = {}): RunFacts => ({
  taskId: 't1',
  taskName: 'Hub to WeCom',
  runId: 'r1',
  trigger: 'schedule',
  status: 'succeeded',
  counters: { succeeded: 3, failed: 0 },
  pendingDeletes: 0,
  guardHeld: 0,
  credentialFailures: 0,
  ...over,
});

test('each outcome raises its events, a clean run none', () => {
  expect(runEvents(facts())).toEqual([]);
  expect(runEvents(facts({ status: 'failed', credentialFailures: 1 }))).toEqual(['run_failed', 'credentials_failing']);
  expect(runEvents(facts({ status: 'partially_failed', pendingDeletes: 2, guardHeld: 1 }))).toEqual(['run_partially_failed', 'deletions_pending', 'guard_tripped']);
});

test('messages carry the counts and absolute links under SYNC_CENTER_PUBLIC_URL', () => {
  const partial = composeMessage('run_partially_failed', facts({ status: 'partially_failed', counters: { succeeded: 7, failed: 2 }, publicUrl: 'https://sync.example.com/' }));
  expect(messageText(partial)).toContain('2 item(s) failed, 7 succeeded');
  expect(partial.link).toBe('https://sync.example.com/api/v1/runs/r1/items?status=failed');
  const pending = composeMessage('deletions_pending', facts({ pendingDeletes: 4 }));
  expect(pending).toMatchObject({ title: '4 deletion(s) wait for approval: Hub to WeCom', details: { count: 4, approvalsUrl: '/api/v1/pending-deletions?taskId=t1&status=PENDING' } });
});

test('refused credentials are told from outages and record errors', () => {
  expect(isCredentialFailure('WeCom /gettoken failed: 40001 invalid credential')).toBe(true);
  expect(isCredentialFailure('WeCom /gettoken failed: 40013 invalid corpid')).toBe(true);
  expect(isCredentialFailure('Feishu POST /auth/v3/tenant_access_token/internal failed: 10014 app secret invalid')).toBe(true);
  expect(isCredentialFailure('DingTalk /gettoken failed: 40089 invalid appkey')).toBe(true);
  expect(isCredentialFailure('DingTalk /gettoken failed: 40001 invalid appsecret')).toBe(true);
  expect(isCredentialFailure('DingTalk /v1.0/oauth2/accessToken failed: invalidClientId invalid appKey or appSecret')).toBe(true);
  expect(isCredentialFailure('GET https://api.github.com/scim/v2/enterprises/acme/Users: HTTP 401')).toBe(true);
  expect(isCredentialFailure('SCIM GET /Users failed: 401 Invalid token')).toBe(true);
  expect(isCredentialFailure('SCIM OAuth token refused: 400 Invalid client')).toBe(true);
  expect(isCredentialFailure('SCIM POST /Users failed: 409:uniqueness userName exists')).toBe(false);
  expect(isCredentialFailure('InvalidCredentialsError: 80090308: LdapErr')).toBe(true);
  expect(isCredentialFailure('WeCom /user/create failed: 45009 api freq out of limit')).toBe(false);
  expect(isCredentialFailure('HTTP 503 (text/html, 120 bytes)')).toBe(false);
  expect(isCredentialFailure(null)).toBe(false);
});
