// Loads the vendors' published callback vectors for tests. The repo is cloned beside shared/;
// SYNC_CENTER_SHARED_DIR points elsewhere when it is not.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface WecomVector {
  source: string;
  token: string;
  encodingAesKey: string;
  receiveId: string;
  urlCheck: { timestamp: string; nonce: string; echostr: string; msgSignature: string; plaintext: string };
  event: { timestamp: string; nonce: string; encrypt: string; msgSignature: string; plaintext?: string; plaintextContains?: string };
}

export interface DingtalkVector {
  source: string;
  token: string;
  aesKey: string;
  receiveId: string;
  timestamp: string;
  nonce: string;
  encrypt: string;
  signature: string;
  plaintext: string;
}

export interface CallbackVectors {
  wecom: WecomVector[];
  dingtalk: DingtalkVector[];
  feishu: Array<{ source: string; encryptKey: string; encrypt: string; plaintext: string }>;
}

export function callbackVectorsPath(): string {
  const sharedDir = process.env.SYNC_CENTER_SHARED_DIR ?? path.join(__dirname, '../../../shared');
  return path.join(sharedDir, 'vectors/callback-crypto.json');
}

export function loadCallbackVectors(): CallbackVectors {
  return JSON.parse(readFileSync(callbackVectorsPath(), 'utf8')) as CallbackVectors;
}
