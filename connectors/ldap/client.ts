// One LDAP session on ldapts: connect (ldap://, ldaps:// or StartTLS with the task's CA), simple
// bind, paged search, and every refusal as a VendorError carrying the LDAP result code and message.
import { isIP } from 'node:net';
import { Client, ResultCodeError, type Attribute, type Change, type Entry, type SearchOptions } from 'ldapts';
import { vendorRequests, vendorRequestSeconds } from '../../telemetry/metrics';
import { vendorCallSpan } from '../../telemetry/tracing';
import { VendorError } from '../errors';
import type { VendorResult } from '../shared/http';

export interface LdapClientOptions {
  url: string;
  startTls?: boolean;
  /** PEM of the CA that signed the server's certificate (ldaps:// or StartTLS); absent: the system's CAs */
  caCertificate?: string;
  bindDn: string;
  bindPassword: string;
  timeoutMs?: number;
}

/** LDAP result codes (RFC 4511 §4.1.9) worth naming in a run item. */
const resultNames: Record<number, string> = {
  1: 'operationsError', 2: 'protocolError', 3: 'timeLimitExceeded', 4: 'sizeLimitExceeded', 8: 'strongerAuthRequired',
  11: 'adminLimitExceeded', 16: 'noSuchAttribute', 17: 'undefinedAttributeType', 19: 'constraintViolation', 20: 'attributeOrValueExists',
  21: 'invalidAttributeSyntax', 32: 'noSuchObject', 34: 'invalidDNSyntax', 49: 'invalidCredentials', 50: 'insufficientAccessRights',
  51: 'busy', 52: 'unavailable', 53: 'unwillingToPerform', 64: 'namingViolation', 65: 'objectClassViolation', 66: 'notAllowedOnNonLeaf',
  67: 'notAllowedOnRDN', 68: 'entryAlreadyExists', 69: 'objectClassModsProhibited', 80: 'other',
};
/** busy, unavailable, time limit, and the server's "other" (often a transient back-end condition) */
const transientCodes = new Set([3, 51, 52, 80]);
const networkCodes = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|socket|Connection closed|timeout/i;

export const ldapResult = { noSuchObject: 32, noSuchAttribute: 16, entryAlreadyExists: 68, notAllowedOnNonLeaf: 66, invalidCredentials: 49, insufficientAccess: 50 } as const;

/** The LDAP operations counted and traced (the vendor-call metrics' api label for connector="ldap"). */
export type LdapOperation = 'startTLS' | 'bind' | 'search' | 'add' | 'modify' | 'modifyDN' | 'delete';

/** A failed operation's result class: the same fixed set as HTTP vendor calls. */
export function ldapResultClass(error: VendorError): VendorResult {
  if (error.vendorCode === String(ldapResult.invalidCredentials) || error.vendorCode === '8' || error.vendorCode === '48') return 'auth_failed';
  if (error.vendorCode === 'connection' || error.vendorCode === 'ldap_client' || error.vendorCode === '51' || error.vendorCode === '52') return 'transport_error';
  return 'refused';
}

/**
 * One LDAP operation counted (sync_center_vendor_requests_total{connector="ldap", api=operation}),
 * timed and inside a client span; the DN stays out of both (it names a person).
 */
async function observed<T>(operation: LdapOperation, describe: string, call: () => Promise<T>, exchanged: (value: T) => boolean = () => true): Promise<T> {
  const labels = { connector: 'ldap', api: operation };
  const started = performance.now();
  let counted = true;
  return vendorCallSpan(labels, async (span) => {
    let result: VendorResult = 'transport_error';
    let code: string | undefined;
    try {
      const value = await call();
      result = 'ok';
      counted = exchanged(value);
      return value;
    } catch (error) {
      const failure = toVendorError(error, describe);
      result = ldapResultClass(failure);
      code = failure.vendorCode;
      throw failure;
    } finally {
      span.outcome(result, code);
      if (counted) {
        vendorRequests.inc({ ...labels, result });
        vendorRequestSeconds.observe(labels, (performance.now() - started) / 1000);
      }
    }
  });
}

/** The VendorError for anything ldapts throws; the bind password never appears in ldapts's messages. */
export function toVendorError(error: unknown, operation: string): VendorError {
  if (error instanceof VendorError) return error;
  if (error instanceof ResultCodeError) {
    const name = resultNames[error.code] ?? 'resultCode';
    const message = `${operation}: ${name}${error.message ? ` (${error.message.replace(/\s*Code: 0x[0-9a-f]+$/i, '')})` : ''}`;
    return classified(new VendorError(transientCodes.has(error.code) ? 'transient' : 'permanent', String(error.code), message));
  }
  const message = error instanceof Error ? error.message : String(error);
  if (networkCodes.test(message)) return classified(new VendorError('transient', 'connection', `${operation}: ${message}`));
  return classified(new VendorError('permanent', 'ldap_client', `${operation}: ${message}`));
}

/** The error carrying its LDAP result class (a run's failure class reads it; vendorErrorResult knows no LDAP codes). */
function classified(error: VendorError): VendorError {
  const result = ldapResultClass(error);
  return new VendorError(error.kind, error.vendorCode, error.vendorMessage, error.retryAfterMs, error.message, result === 'ok' ? undefined : result);
}

export class LdapClient {
  /** LDAP calls made, for the benchmark's calls per entity */
  calls = 0;
  private client?: Client;
  private connecting?: Promise<Client>;

  constructor(private readonly options: LdapClientOptions) {}

  private tlsOptions() {
    return { ...(this.options.caCertificate ? { ca: [this.options.caCertificate] } : {}), minVersion: 'TLSv1.2' as const };
  }

  private async session(): Promise<Client> {
    if (this.client?.isConnected && this.client.isBound) return this.client;
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async open(): Promise<Client> {
    const secure = this.options.url.startsWith('ldaps://');
    const client = new Client({
      url: this.options.url,
      timeout: this.options.timeoutMs ?? 30_000,
      connectTimeout: this.options.timeoutMs ?? 10_000,
      ...(secure ? { tlsOptions: this.tlsOptions() } : {}),
    });
    try {
      if (this.options.startTls) {
        this.calls++;
        // ldapts upgrades the socket without the URL's host, so Node would check the certificate against "localhost".
        const host = new URL(this.options.url).hostname.replace(/^\[|\]$/g, '');
        await observed('startTLS', 'StartTLS', () => client.startTLS({ ...this.tlsOptions(), host, ...(isIP(host) ? {} : { servername: host }) }));
      }
      this.calls++;
      await observed('bind', 'bind', () => client.bind(this.options.bindDn, this.options.bindPassword));
    } catch (error) {
      await client.unbind().catch(() => undefined);
      throw toVendorError(error, this.options.startTls ? 'StartTLS/bind' : 'bind');
    }
    this.client = client;
    return client;
  }

  /** Binds now (the connection test's credentials check). */
  async bind(): Promise<void> {
    await this.session();
  }

  private async run<T>(operation: LdapOperation, dn: string, call: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.session();
    this.calls++;
    return observed(operation, `${operation} ${dn}`, () => call(client));
  }

  /** A paged search: each page of entries as the server sends it (one call per page). */
  async *searchPages(base: string, options: SearchOptions & { pageSize: number }): AsyncIterable<Entry[]> {
    const client = await this.session();
    const { pageSize, ...rest } = options;
    const pages = client.searchPaginated(base, { ...rest, paged: { pageSize } });
    for (;;) {
      let next: IteratorResult<{ searchEntries: Entry[] }>;
      try {
        // Each page is one exchange with the server: one search call in the metrics.
        // (the generator's end after the last page sends nothing and is not counted).
        next = await observed('search', `search ${base}`, () => pages.next(), (page) => !page.done);
      } catch (error) {
        this.calls++;
        throw error;
      }
      if (next.done) return;
      this.calls++;
      yield next.value.searchEntries;
    }
  }

  /** A search answered in one response (small result sets: lookups by id or DN). */
  async search(base: string, options: SearchOptions): Promise<Entry[]> {
    return (await this.run('search', base, (c) => c.search(base, options))).searchEntries;
  }

  add(dn: string, attributes: Record<string, string | string[]>): Promise<void> {
    return this.run('add', dn, (c) => c.add(dn, attributes));
  }

  modify(dn: string, changes: Change[]): Promise<void> {
    return this.run('modify', dn, (c) => c.modify(dn, changes));
  }

  /** newDn: the new RDN, or the new RDN and its new parent (values escaped by ./dn.ts) */
  modifyDn(dn: string, newDn: string): Promise<void> {
    return this.run('modifyDN', dn, (c) => c.modifyDN(dn, newDn));
  }

  del(dn: string): Promise<void> {
    return this.run('delete', dn, (c) => c.del(dn));
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.unbind().catch(() => undefined);
  }
}

export type { Attribute, Change, Entry };
