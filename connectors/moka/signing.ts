// Moka's request signature: the query parameters other than sign, sorted by name, as
// `name=value&…` (raw values, not URL-encoded), signed MD5withRSA (RSASSA-PKCS1-v1_5 over MD5) with
// the tenant's private key, base64. The key may come as PEM or as the bare base64 Moka's console shows.
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export function canonicalQuery(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((name) => name !== 'sign')
    .sort()
    .map((name) => `${name}=${params[name]}`)
    .join('&');
}

/** The private key, or undefined when the text is no RSA private key (the caller names the field; the key is never echoed). */
export function parsePrivateKey(text: string): KeyObject | undefined {
  const trimmed = text.trim();
  const attempts: Array<() => KeyObject> = trimmed.includes('-----BEGIN')
    ? [() => createPrivateKey(trimmed)]
    : [
        () => createPrivateKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'pkcs8' }),
        () => createPrivateKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'pkcs1' }),
      ];
  for (const attempt of attempts) {
    try {
      const key = attempt();
      if (key.asymmetricKeyType === 'rsa') return key;
    } catch {
      // not this encoding
    }
  }
  return undefined;
}

export function signQuery(params: Record<string, string>, key: KeyObject): string {
  return sign('md5', Buffer.from(canonicalQuery(params), 'utf8'), key).toString('base64');
}

export function verifyQuery(params: Record<string, string>, signature: string, publicKeyPem: string): boolean {
  try {
    return verify('md5', Buffer.from(canonicalQuery(params), 'utf8'), createPublicKey(publicKeyPem), Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
