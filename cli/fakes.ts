// The vendor fakes `sync-center fake <kind>` can start: WeCom, Feishu and DingTalk, one shape each.
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
  feishu: {
    description: 'Feishu / Lark contact API under /open-apis',
    credentialFlags: [
      { flag: 'app-id', option: 'appId', description: 'app id the fake accepts (default cli_fake0000000001)' },
      { flag: 'app-secret', option: 'appSecret', description: 'app secret the fake accepts (default fake-app-secret)' },
      { flag: 'encrypt-key', option: 'encryptKey', description: 'event Encrypt Key, for POST /__fake/emit' },
      { flag: 'verification-token', option: 'verificationToken', description: 'event Verification Token, for POST /__fake/emit' },
    ],
    async start({ port, host, appId, appSecret, encryptKey, verificationToken }) {
      const { startFeishuFake } = await import('../connectors/feishu/fake');
      if ((encryptKey === undefined) !== (verificationToken === undefined)) {
        throw new Error('fake feishu: --encrypt-key and --verification-token go together');
      }
      return startFeishuFake({
        port,
        host,
        appId: appId as string | undefined,
        appSecret: appSecret as string | undefined,
        events: encryptKey ? { encryptKey: String(encryptKey), verificationToken: String(verificationToken) } : undefined,
      });
    },
  },
  dingtalk: {
    description: 'DingTalk (钉钉) oapi under / (gettoken, topapi/v2) and the new API under /v1.0',
    credentialFlags: [
      { flag: 'app-key', option: 'appKey', description: 'app key the fake accepts (default dingfakeappkey0001)' },
      { flag: 'app-secret', option: 'appSecret', description: 'app secret the fake accepts (default fake-app-secret)' },
      { flag: 'corp-id', option: 'corpId', description: 'corp id of the fake tenant (default dingfakecorp0001)' },
      { flag: 'callback-token', option: 'callbackToken', description: 'callback token, for POST /__fake/emit' },
      { flag: 'callback-aes-key', option: 'callbackAesKey', description: 'callback aes_key (43 chars), for POST /__fake/emit' },
    ],
    async start({ port, host, appKey, appSecret, corpId, callbackToken, callbackAesKey }) {
      const { startDingtalkFake } = await import('../connectors/dingtalk/fake');
      if ((callbackToken === undefined) !== (callbackAesKey === undefined)) {
        throw new Error('fake dingtalk: --callback-token and --callback-aes-key go together');
      }
      return startDingtalkFake({
        port,
        host,
        appKey: appKey as string | undefined,
        appSecret: appSecret as string | undefined,
        corpId: corpId as string | undefined,
        callback: callbackToken ? { token: String(callbackToken), aesKey: String(callbackAesKey) } : undefined,
      });
    },
  },
};
