// Small helpers tests use to drive a running WeCom fake directly, as WeCom's own API.
import type { RunningWecomFake } from './index';

export async function fakeControl(fake: RunningWecomFake, route: 'seed' | 'faults' | 'emit', body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${fake.url}/__fake/${route}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: res.status, body: await res.json() };
}

export async function fakeState<T = { department: Array<Record<string, unknown>>; userlist: Array<Record<string, unknown>> }>(fake: RunningWecomFake): Promise<T> {
  return (await (await fetch(`${fake.url}/__fake/state`)).json()) as T;
}

/** A raw WeCom call with a fresh token: what the API answers, errcode and all. */
export async function rawCall(
  fake: RunningWecomFake,
  credentials: { corpId: string; corpSecret: string },
  method: 'GET' | 'POST',
  path: string,
  params: Record<string, string> | Record<string, unknown> = {},
): Promise<{ errcode: number; errmsg: string } & Record<string, unknown>> {
  const tokenRes = await fetch(`${fake.baseUrl}/gettoken?corpid=${encodeURIComponent(credentials.corpId)}&corpsecret=${encodeURIComponent(credentials.corpSecret)}`);
  const { access_token } = (await tokenRes.json()) as { access_token: string };
  const url = new URL(`${fake.baseUrl}${path}`);
  url.searchParams.set('access_token', access_token);
  if (method === 'GET') for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
  const res = await fetch(url, method === 'POST' ? { method, body: JSON.stringify(params), headers: { 'content-type': 'application/json' } } : undefined);
  return (await res.json()) as { errcode: number; errmsg: string } & Record<string, unknown>;
}
