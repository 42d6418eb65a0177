// PATCH (RFC 7644 §3.5.2) applied by scim-patch to the current resource; the result is then written
// like a PUT. What real clients send that the library does not take as is is normalised first:
// Entra's capitalised op ("Replace") and a missing `schemas`; "True"/"False" strings become booleans
// when the resource is read back (user-resource.ts booleanOf).
import { scimPatch, type ScimPatchOperation, type ScimResource } from 'scim-patch';
import { ScimError } from './errors';

export const patchOpSchema = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export function operationsOf(body: unknown): ScimPatchOperation[] {
  const operations = (body as { Operations?: unknown; operations?: unknown } | null)?.Operations ?? (body as { operations?: unknown } | null)?.operations;
  if (!Array.isArray(operations) || operations.length === 0) throw new ScimError(400, 'a PATCH needs Operations: a non-empty list', 'invalidSyntax');
  return operations.map((raw: unknown, i) => {
    if (typeof raw !== 'object' || raw === null) throw new ScimError(400, `Operations.${i} must be an object`, 'invalidSyntax');
    const op = String((raw as { op?: unknown }).op ?? '').toLowerCase();
    if (op !== 'add' && op !== 'replace' && op !== 'remove') throw new ScimError(400, `Operations.${i}.op must be add, replace or remove`, 'invalidSyntax');
    const { path, value } = raw as { path?: unknown; value?: unknown };
    if (path !== undefined && typeof path !== 'string') throw new ScimError(400, `Operations.${i}.path must be a string`, 'invalidPath');
    if (op === 'remove' && !path) throw new ScimError(400, `Operations.${i}: remove needs a path`, 'noTarget');
    return { op, ...(path !== undefined ? { path } : {}), ...(value !== undefined ? { value } : {}) } as ScimPatchOperation;
  });
}

/**
 * scim-patch splits a path that is a whole extension (`urn:…:enterprise:2.0:User`) at its last
 * colon, as if `User` were an attribute of `urn:…:2.0`; such an operation is applied here instead:
 * add merges into the extension, replace sets it, remove drops it.
 */
function applyExtensionOperation(resource: Record<string, unknown>, operation: ScimPatchOperation, urn: string): void {
  const key = Object.keys(resource).find((k) => k.toLowerCase() === urn.toLowerCase()) ?? urn;
  if (operation.op === 'remove') {
    delete resource[key];
    return;
  }
  const value = (operation as { value?: unknown }).value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ScimError(400, `${urn} takes an object`, 'invalidValue');
  const { schemas: _schemas, ...attributes } = value as Record<string, unknown>;
  const current = resource[key];
  resource[key] = operation.op === 'add' && typeof current === 'object' && current !== null ? { ...current, ...attributes } : attributes;
}

/** The resource after the operations; readOnly attributes (id, meta, schemas) stay as they were. `extensions`: the schema URNs of its extensions. */
export function applyPatch<T extends Record<string, unknown>>(resource: T, operations: ScimPatchOperation[], extensions: readonly string[] = []): T {
  for (const operation of operations) {
    const target = operation.path?.split(/[.[]/)[0].toLowerCase();
    if (target === 'id' || target === 'meta') throw new ScimError(400, `${operation.path} is readOnly`, 'mutability');
  }
  let patched: T;
  try {
    patched = structuredClone(resource);
    for (const operation of operations) {
      const urn = extensions.find((e) => e.toLowerCase() === operation.path?.toLowerCase());
      if (urn) applyExtensionOperation(patched, operation, urn);
      else patched = scimPatch(patched as unknown as ScimResource, [operation], { mutateDocument: true, treatMissingAsAdd: true }) as unknown as T;
    }
  } catch (error) {
    const scimType = (error as { scimType?: string }).scimType;
    throw new ScimError(400, (error as Error).message, scimType === 'noTarget' || scimType === 'invalidPath' ? scimType : 'invalidValue');
  }
  return { ...patched, id: resource.id, meta: resource.meta, schemas: resource.schemas };
}
