// The WeCom callback cipher, also used by DingTalk (with JSON instead of XML):
// signature = sha1(sorted [token, timestamp, nonce, encrypt] joined), hex;
// AES-256-CBC, key = base64(EncodingAESKey + "="), IV = key[0..16);
// plaintext = 16 random bytes ‖ uint32 BE byte length ‖ message ‖ receiveId, PKCS#7 padded to 32.
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type CallbackRejection = 'bad_signature' | 'bad_receive_id' | 'malformed';

/** A callback we refuse; the message never contains key material. */
export class CallbackVerificationError extends Error {
  override readonly name = 'CallbackVerificationError';
  constructor(
    readonly reason: CallbackRejection,
    message: string,
  ) {
    super(message);
  }
}

export interface CallbackCipherOptions {
  token: string;
  /** 43 characters of base64 without the trailing "=" */
  encodingAesKey: string;
  /** the id the vendor appends to every plaintext (WeCom corp id, DingTalk app key / suite key) */
  receiveId: string;
}

export interface SignedEnvelope {
  signature: string;
  timestamp: string;
  nonce: string;
  encrypt: string;
}

const BLOCK = 32;

export function callbackSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return createHash('sha1').update([token, timestamp, nonce, encrypt].sort().join('')).digest('hex');
}

export function decodeEncodingAesKey(encodingAesKey: string): Buffer {
  if (typeof encodingAesKey !== 'string' || !/^[A-Za-z0-9+/]{43}$/.test(encodingAesKey)) {
    throw new Error('encodingAesKey must be 43 characters of base64');
  }
  return Buffer.from(`${encodingAesKey}=`, 'base64');
}

export class CallbackCipher {
  private readonly key: Buffer;

  constructor(private readonly options: CallbackCipherOptions) {
    this.key = decodeEncodingAesKey(options.encodingAesKey);
  }

  get receiveId(): string {
    return this.options.receiveId;
  }

  sign(timestamp: string, nonce: string, encrypt: string): string {
    return callbackSignature(this.options.token, timestamp, nonce, encrypt);
  }

  /** Throws bad_signature unless `signature` matches; constant-time compare. */
  verify(envelope: SignedEnvelope): void {
    for (const field of ['signature', 'timestamp', 'nonce', 'encrypt'] as const) {
      if (typeof envelope[field] !== 'string' || envelope[field] === '') {
        throw new CallbackVerificationError('malformed', `callback is missing ${field === 'signature' ? 'msg_signature' : field}`);
      }
    }
    const expected = Buffer.from(this.sign(envelope.timestamp, envelope.nonce, envelope.encrypt));
    const given = Buffer.from(envelope.signature.toLowerCase());
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new CallbackVerificationError('bad_signature', 'callback signature does not match (wrong token or tampered payload)');
    }
  }

  encrypt(message: string, random: Buffer = randomBytes(16)): string {
    if (random.length !== 16) throw new Error('random prefix must be 16 bytes');
    const body = Buffer.from(message, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length, 0);
    const plain = Buffer.concat([random, length, body, Buffer.from(this.options.receiveId, 'utf8')]);
    const pad = BLOCK - (plain.length % BLOCK);
    const padded = Buffer.concat([plain, Buffer.alloc(pad, pad)]);
    const cipher = createCipheriv('aes-256-cbc', this.key, this.key.subarray(0, 16));
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64');
  }

  /** Decrypts and checks the receive id; returns the message. */
  decrypt(encrypt: string): { message: string; receiveId: string } {
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-cbc', this.key, this.key.subarray(0, 16));
      decipher.setAutoPadding(false);
      plain = Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()]);
    } catch {
      throw new CallbackVerificationError('malformed', 'callback payload cannot be decrypted');
    }
    const pad = plain.length > 0 ? plain[plain.length - 1] : 0;
    if (pad < 1 || pad > BLOCK || pad > plain.length) throw new CallbackVerificationError('malformed', 'callback payload has invalid padding');
    const content = plain.subarray(0, plain.length - pad);
    if (content.length < 20) throw new CallbackVerificationError('malformed', 'callback payload is too short');
    const length = content.readUInt32BE(16);
    if (20 + length > content.length) throw new CallbackVerificationError('malformed', 'callback payload length is out of range');
    const message = content.subarray(20, 20 + length).toString('utf8');
    const receiveId = content.subarray(20 + length).toString('utf8');
    if (receiveId !== this.options.receiveId) {
      throw new CallbackVerificationError('bad_receive_id', 'callback was encrypted for another receive id (corp id / app key)');
    }
    return { message, receiveId };
  }

  /** Verify the signature, then decrypt: the order every vendor sample uses. */
  open(envelope: SignedEnvelope): string {
    this.verify(envelope);
    return this.decrypt(envelope.encrypt).message;
  }

  /** Encrypt and sign a message (a reply, or an event from a fake). */
  seal(message: string, timestamp: string = String(Math.floor(Date.now() / 1000)), nonce: string = randomNonce()): SignedEnvelope {
    const encrypt = this.encrypt(message);
    return { signature: this.sign(timestamp, nonce, encrypt), timestamp, nonce, encrypt };
  }
}

export function randomNonce(): string {
  return String(randomBytes(4).readUInt32BE(0));
}
