// The vendor fakes `sync-center fake <kind>` can start. Feishu and DingTalk join with the same shape.
export interface RunningFake {
  url: string;
  baseUrl: string;
  close(): Promise<void>;
}

export interface FakeCredentialFlag {
  /** the command-line flag, e.g. corp-id */
  flag: string;
  /** the option it fills in the fake's start function */
  option: string;
  description: string;
}

export interface FakeKind {
  description: string;
  credentialFlags: FakeCredentialFlag[];
  start(options: { port?: number; host?: string } & Record<string, string | number | undefined>): Promise<RunningFake>;
}

export const fakeKinds: Record<string, FakeKind> = {
  wecom: {
    description: 'WeCom (企业微信) contacts API under /cgi-bin',
    credentialFlags: [
      { flag: 'corp-id', option: 'corpId', description: 'corp id the fake accepts (default ww0000000000000001)' },
      { flag: 'corp-secret', option: 'corpSecret', description: 'contacts secret the fake accepts (default fake-corp-secret)' },
      { flag: 'callback-token', option: 'callbackToken', description: 'callback Token, for POST /__fake/emit' },
      { flag: 'callback-aes-key', option: 'callbackAesKey', description: 'callback EncodingAESKey (43 chars), for POST /__fake/emit' },
    ],
    async start({ port, host, corpId, corpSecret, callbackToken, callbackAesKey }) {
      const { startWecomFake } = await import('../connectors/wecom/fake');
      if ((callbackToken === undefined) !== (callbackAesKey === undefined)) {
        throw new Error('fake wecom: --callback-token and --callback-aes-key go together');
      }
      return startWecomFake({
        port,
        host,
        corpId: corpId as string | undefined,
        corpSecret: corpSecret as string | undefined,
        callback: callbackToken ? { token: String(callbackToken), encodingAesKey: String(callbackAesKey) } : undefined,
      });
    },
  },
};
