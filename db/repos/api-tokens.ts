// API tokens: `sc_` + 32 random bytes (base64url). Only the sha256 hex is stored; the token is shown once.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { apiTokens } from '../schema';
import { recordAudit } from './audit-log';
import { NotFoundError, ValidationError } from './errors';
import { requiredText } from './hub-fields';
import { preparedPerHandle } from './prepared';
import { lockTaskWrites } from './sql';

export const tokenRoles = ['admin', 'operator', 'approver', 'scim'] as const;
export type TokenRole = (typeof tokenRoles)[number];

export interface TokenIdentity {
  id: string;
  name: string;
  role: TokenRole;
  /** role scim: the scim-push task it pushes as */
  taskId?: string;
}

export interface TokenSummary extends Omit<TokenIdentity, 'taskId'> {
  taskId: string | null;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
}

// lastUsedAt is a hint for humans: writing it at most once a minute keeps verify() a read.
const lastUsedResolutionMs = 60_000;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function generateToken(): string {
  return `sc_${randomBytes(32).toString('base64url')}`;
}

/** Every authenticated request's read (auth.ts): prepared once. */
const tokenByHash = preparedPerHandle((db) =>
  db
    .select({ id: apiTokens.id, name: apiTokens.name, role: apiTokens.role, taskId: apiTokens.taskId, lastUsedAt: apiTokens.lastUsedAt, expiresAt: apiTokens.expiresAt })
    .from(apiTokens)
    .where(eq(apiTokens.tokenHash, sql.placeholder('hash')))
    .prepare('api_token_by_hash'),
);

export function createApiTokens(db: Db) {
  return {
    /** The only time the token itself is returned. */
    async create(input: { name: string; role: TokenRole; expiresAt?: Date | null; taskId?: string }, actor: string): Promise<TokenIdentity & { token: string; expiresAt: Date | null }> {
      const name = requiredText('name', input.name, 64);
      if (!tokenRoles.includes(input.role)) throw new ValidationError('role', `role must be one of ${tokenRoles.join(', ')}`);
      const expiresAt = input.expiresAt ?? null;
      if (expiresAt && !(expiresAt.getTime() > Date.now())) throw new ValidationError('expiresAt', 'expiresAt must be in the future');
      const token = generateToken();
      // A scim token is nothing without its task; no other role carries one.
      if ((input.role === 'scim') !== (input.taskId !== undefined)) throw new ValidationError('taskId', 'taskId is required for role scim and only for it');
      const identity: TokenIdentity = { id: randomUUID(), name, role: input.role, ...(input.taskId !== undefined ? { taskId: input.taskId } : {}) };
      await db.transaction(async (tx) => {
        await tx.insert(apiTokens).values({ ...identity, tokenHash: hashToken(token), createdBy: actor, expiresAt });
        await recordAudit(tx, { actor, action: 'token.create', entityType: 'token', entityId: identity.id, before: null, after: { ...identity, expiresAt: expiresAt?.toISOString() ?? null } });
      });
      return { ...identity, token, expiresAt };
    },

    async list(): Promise<TokenSummary[]> {
      return db
        .select({
          id: apiTokens.id,
          name: apiTokens.name,
          role: apiTokens.role,
          taskId: apiTokens.taskId,
          createdBy: apiTokens.createdBy,
          createdAt: apiTokens.createdAt,
          lastUsedAt: apiTokens.lastUsedAt,
          expiresAt: apiTokens.expiresAt,
        })
        .from(apiTokens)
        .orderBy(asc(apiTokens.createdAt), asc(apiTokens.id));
    },

    async delete(id: string, actor: string): Promise<void> {
      await db.transaction(async (tx) => {
        // a scim token's pushes: no write overtakes the delete (sql.ts)
        const [bound] = await tx.select({ taskId: apiTokens.taskId }).from(apiTokens).where(eq(apiTokens.id, id));
        if (bound?.taskId) await lockTaskWrites(tx, bound.taskId);
        const [row] = await tx.delete(apiTokens).where(eq(apiTokens.id, id)).returning({ id: apiTokens.id, name: apiTokens.name, role: apiTokens.role });
        if (!row) throw new NotFoundError('token', id);
        await recordAudit(tx, { actor, action: 'token.delete', entityType: 'token', entityId: id, before: row, after: null });
      });
    },

    /** The token's identity, or undefined for an unknown or expired token. */
    async verify(token: string): Promise<TokenIdentity | undefined> {
      const [row] = await tokenByHash(db).execute({ hash: hashToken(token) });
      if (!row) return undefined;
      if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) return undefined;
      if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > lastUsedResolutionMs) {
        await db.update(apiTokens).set({ lastUsedAt: new Date() }).where(eq(apiTokens.id, row.id));
      }
      return { id: row.id, name: row.name, role: row.role, ...(row.taskId !== null ? { taskId: row.taskId } : {}) };
    },
  };
}

export type ApiTokens = ReturnType<typeof createApiTokens>;
