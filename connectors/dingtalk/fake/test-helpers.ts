// Helpers tests use to call a running DingTalk fake directly, as DingTalk's own API.
import type { RunningDingtalkFake } from './index';

export type RawAnswer = { errcode: number; errmsg: string; sub_code?: string; result?: unknown } & Record<string, unknown>;

export async function fakeToken(fake: RunningDingtalkFake, credentials: { appKey: string; appSecret: string }): Promise<string> {
  const url = new URL(`${fake.oapiBaseUrl}/gettoken`);
  url.searchParams.set('appkey', credentials.appKey);
  url.searchParams.set('appsecret', credentials.appSecret);
  return ((await (await fetch(url)).json()) as { access_token: string }).access_token;
}

/** One topapi POST with the given token: what the API answers, errcode and all. */
export async function rawPost(fake: RunningDingtalkFake, token: string | undefined, path: string, body: Record<string, unknown> = {}): Promise<RawAnswer> {
  const url = new URL(`${fake.oapiBaseUrl}${path}`);
  if (token !== undefined) url.searchParams.set('access_token', token);
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return (await res.json()) as RawAnswer;
}
