// A real OpenLDAP server for the LDAP connector's tests and benchmark: Debian's slapd (installed by
// scripts/provision-slapd.sh when missing), started unprivileged on a free loopback port from a
// temporary cn=config built with `slapadd -n0`, seeded per suite, stopped and deleted after.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { adTestSchemaLdif } from './slapd-ad-schema';
import { freePort } from './cli-process';
import { findBinary, provision } from './system-binaries';

export const slapdSuffix = 'dc=acme,dc=test';
/** the database's rootdn: tests seed and inspect with it, never the connector */
export const slapdAdmin = { dn: `cn=admin,${slapdSuffix}`, password: 'admin-secret' };
/** the account a sync task binds as: writes users and OUs, may lock accounts (ppolicy) */
export const slapdSyncAccount = { dn: `cn=sync,${slapdSuffix}`, password: 'sync-secret' };
/** a read-only account: the connection test's write probe must fail for it */
export const slapdReader = { dn: `cn=reader,${slapdSuffix}`, password: 'reader-secret' };

const sbin = ['/usr/sbin', '/usr/local/sbin'];
const schemaDir = '/etc/ldap/schema';
const moduleDir = '/usr/lib/ldap';

/** slapd and slapadd, installing them first (apt, as root) when missing. */
export function ensureSlapd(): { slapd: string; slapadd: string } {
  let slapd = findBinary('slapd', sbin);
  let slapadd = findBinary('slapadd', sbin);
  if (!slapd || !slapadd || !findBinary('ldapsearch', sbin)) {
    provision('slapd');
    slapd = findBinary('slapd', sbin);
    slapadd = findBinary('slapadd', sbin);
  }
  if (!slapd || !slapadd) throw new Error('slapd is not installed and could not be installed: apt-get install slapd ldap-utils');
  return { slapd, slapadd };
}

export interface SlapdOptions {
  /** add the AD-like test schema (objectGUID, sAMAccountName, userPrincipalName, userAccountControl, employeeID, …) */
  adSchema?: boolean;
  /** also listen on ldaps:// and allow StartTLS, with a certificate for 127.0.0.1 signed by a fresh CA (`caPem`) */
  tls?: boolean;
  /** LDIF loaded offline with `slapadd -n1` before the server starts (fast: the benchmark's 10k users) */
  seedLdif?: string;
}

export interface RunningSlapd {
  url: string;
  port: number;
  /** with `tls`: ldaps://127.0.0.1:<port> and the PEM of the CA that signed its certificate */
  ldapsUrl?: string;
  caPem?: string;
  suffix: string;
  /** ldapadd / ldapmodify as the rootdn (LDIF with changetype lines, or plain entries for add) */
  modify(ldif: string): void;
  /** ldapsearch as the rootdn, LDIF answer */
  searchLdif(base: string, filter?: string, attributes?: string[], scope?: 'base' | 'one' | 'sub'): string;
  stop(): Promise<void>;
}

/** The base tree every suite starts from: the suffix, people and groups OUs, the sync and reader accounts. */
export function baseTreeLdif(): string {
  return [
    `dn: ${slapdSuffix}\nobjectClass: dcObject\nobjectClass: organization\ndc: acme\no: Acme`,
    `dn: ${slapdSyncAccount.dn}\nobjectClass: simpleSecurityObject\nobjectClass: organizationalRole\ncn: sync\nuserPassword: ${slapdSyncAccount.password}`,
    `dn: ${slapdReader.dn}\nobjectClass: simpleSecurityObject\nobjectClass: organizationalRole\ncn: reader\nuserPassword: ${slapdReader.password}`,
    `dn: ou=policies,${slapdSuffix}\nobjectClass: organizationalUnit\nou: policies`,
    // pwdLockout TRUE: a pwdAccountLockedTime of 000001010000Z then refuses every bind.
    `dn: cn=default,ou=policies,${slapdSuffix}\nobjectClass: pwdPolicy\nobjectClass: device\ncn: default\npwdAttribute: userPassword\npwdLockout: TRUE\npwdMaxFailure: 0`,
  ].join('\n\n') + '\n';
}

/** A CA and a server certificate for 127.0.0.1 it signed, with openssl (ldap-utils' own TLS is GnuTLS, slapd reads PEM). */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const file = (name: string) => path.join(dir, name);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=Sync Center test CA', '-keyout', file('ca.key'), '-out', file('ca.pem')]);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', file('server.key'), '-out', file('server.csr')]);
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  run(['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', file('san.ext'), '-out', file('server.pem')]);
  return { ca: file('ca.pem'), cert: file('server.pem'), key: file('server.key') };
}

function configLdif(dir: string, adSchema: boolean, tls?: { ca: string; cert: string; key: string }): string {
  const schemas = ['core', 'cosine', 'nis', 'inetorgperson'].map((s) => `include: file://${schemaDir}/${s}.ldif`);
  if (adSchema) schemas.push(`include: file://${path.join(dir, 'ad-test.ldif')}`);
  const sync = slapdSyncAccount.dn;
  return `dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: ${dir}/slapd.pid
olcLogLevel: none
${tls ? `olcTLSCACertificateFile: ${tls.ca}\nolcTLSCertificateFile: ${tls.cert}\nolcTLSCertificateKeyFile: ${tls.key}\n` : ''}olcSizeLimit: unlimited

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: ${moduleDir}
olcModuleLoad: back_mdb
olcModuleLoad: memberof
olcModuleLoad: refint
olcModuleLoad: ppolicy

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

${schemas.join('\n\n')}

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcSizeLimit: unlimited

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: ${slapdSuffix}
olcRootDN: ${slapdAdmin.dn}
olcRootPW: ${slapdAdmin.password}
olcDbDirectory: ${dir}/data
olcDbMaxSize: 1073741824
olcDbNoSync: TRUE
olcSizeLimit: unlimited
olcLimits: {0}dn.exact="${sync}" size=unlimited time=unlimited
olcDbIndex: objectClass eq
olcDbIndex: entryUUID eq
olcDbIndex: uid,mail,employeeNumber,mobile eq
${adSchema ? 'olcDbIndex: objectGUID,sAMAccountName,employeeID eq\n' : ''}olcAccess: {0}to attrs=userPassword by self write by dn.exact="${sync}" write by anonymous auth by * none
olcAccess: {1}to * by dn.exact="${sync}" manage by users read by * none

dn: olcOverlay={0}memberof,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcMemberOf
olcOverlay: {0}memberof

dn: olcOverlay={1}refint,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcRefintConfig
olcOverlay: {1}refint
olcRefintAttribute: manager
olcRefintAttribute: member

dn: olcOverlay={2}ppolicy,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcPPolicyConfig
olcOverlay: {2}ppolicy
olcPPolicyDefault: cn=default,ou=policies,${slapdSuffix}
`.replace(/\n{3,}/g, '\n\n');
}

function waitForPort(port: number, child: ChildProcess, deadline: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`slapd exited with code ${child.exitCode}`));
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`slapd did not listen on 127.0.0.1:${port}`));
        else setTimeout(attempt, 20);
      });
    };
    attempt();
  });
}

/** As root, slapd drops to the openldap account Debian's package creates; otherwise it runs as the caller. */
function unprivilegedAccount(): { user: string; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'openldap'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString());
    return { user: 'openldap', uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}

function chownTree(target: string, uid: number, gid: number): void {
  execFileSync('chown', ['-R', `${uid}:${gid}`, target]);
}

export async function startSlapd(options: SlapdOptions = {}): Promise<RunningSlapd> {
  const { slapd, slapadd } = ensureSlapd();
  const dir = mkdtempSync(path.join(tmpdir(), 'sc-slapd-'));
  const configDir = path.join(dir, 'slapd.d');
  mkdirSync(configDir);
  mkdirSync(path.join(dir, 'data'));
  const port = await freePort();
  if (options.adSchema) writeFileSync(path.join(dir, 'ad-test.ldif'), adTestSchemaLdif);
  const certificates = options.tls ? makeCertificates(dir) : undefined;
  const tlsPort = options.tls ? await freePort() : undefined;
  writeFileSync(path.join(dir, 'config.ldif'), configLdif(dir, !!options.adSchema, certificates));
  execFileSync(slapadd, ['-n0', '-F', configDir, '-l', path.join(dir, 'config.ldif')], { stdio: ['ignore', 'ignore', 'pipe'] });
  writeFileSync(path.join(dir, 'seed.ldif'), baseTreeLdif() + (options.seedLdif ? `\n${options.seedLdif}` : ''));
  // -q: quick mode (no consistency checks), fine for a throwaway database.
  execFileSync(slapadd, ['-q', '-n1', '-F', configDir, '-l', path.join(dir, 'seed.ldif')], { stdio: ['ignore', 'ignore', 'pipe'] });
  const account = unprivilegedAccount();
  if (account) {
    chmodSync(dir, 0o755);
    chownTree(dir, account.uid, account.gid);
  }
  const url = `ldap://127.0.0.1:${port}`;
  const ldapsUrl = tlsPort ? `ldaps://127.0.0.1:${tlsPort}` : undefined;
  const listeners = [`${url}/`, ...(ldapsUrl ? [`${ldapsUrl}/`] : [])].join(' ');
  const args = ['-d', '0', '-h', listeners, '-F', configDir, ...(account ? ['-u', account.user, '-g', account.user] : [])];
  const child = spawn(slapd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 10_000) stderr += chunk.toString();
  });
  try {
    await waitForPort(port, child, Date.now() + 10_000);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}: ${stderr.trim()}`);
  }
  const asAdmin = ['-x', '-H', url, '-D', slapdAdmin.dn, '-w', slapdAdmin.password];
  return {
    url,
    port,
    ...(ldapsUrl && certificates ? { ldapsUrl, caPem: readFileSync(certificates.ca, 'utf8') } : {}),
    suffix: slapdSuffix,
    modify(ldif) {
      execFileSync('ldapmodify', [...asAdmin, '-a'], { input: ldif, stdio: ['pipe', 'ignore', 'pipe'] });
    },
    searchLdif(base, filter = '(objectClass=*)', attributes = [], scope = 'sub') {
      return execFileSync('ldapsearch', [...asAdmin, '-LLL', '-o', 'ldif-wrap=no', '-b', base, '-s', scope, filter, ...attributes]).toString();
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
