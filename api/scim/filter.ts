// SCIM filters (RFC 7644 §3.4.2.2) parsed by scim2-parse-filter and evaluated on SCIM resources.
// The library compares every value case-sensitively and calls an empty value present; RFC 7643 says
// strings compare case-insensitively unless the attribute is caseExact (id, externalId,
// meta.version, $ref) and `pr` means non-empty. So values are compared through a lower-cased view.
import { parse, Tester, type Filter } from 'scim2-parse-filter';
import { ScimError } from './errors';

/** caseExact=true attributes of the User and Group schemas, lower-cased, URN prefix dropped. */
const caseExact = new Set(['id', 'externalid', 'meta.version', 'meta.location', '$ref', 'members.$ref', 'manager.$ref']);

export function parseFilter(text: string): Filter {
  try {
    return parse(text);
  } catch (error) {
    throw new ScimError(400, `filter: ${(error as Error).message}`, 'invalidFilter');
  }
}

/** `urn:…:User:manager.value` → `manager.value` (lower-cased): the key the case rules use. */
function bareAttr(path: string): string {
  const colon = path.lastIndexOf(':');
  return (colon === -1 ? path : path.slice(colon + 1)).toLowerCase();
}

/** The filter with every string compared to a caseExact=false attribute lower-cased. */
function foldValues(filter: Filter, parent = ''): Filter {
  switch (filter.op) {
    case 'and':
    case 'or':
      return { ...filter, filters: filter.filters.map((f) => foldValues(f, parent)) };
    case 'not':
      return { ...filter, filter: foldValues(filter.filter, parent) };
    case '[]':
      return { ...filter, valFilter: foldValues(filter.valFilter, `${parent}${bareAttr(filter.attrPath)}.`) };
    case 'pr':
      return filter;
    default: {
      const exact = caseExact.has(parent + bareAttr(filter.attrPath)) || caseExact.has(bareAttr(filter.attrPath));
      return typeof filter.compValue === 'string' && !exact ? { ...filter, compValue: filter.compValue.toLowerCase() } : filter;
    }
  }
}

/** The resource with strings lower-cased except under caseExact attributes. */
function foldResource(value: unknown, path: string): unknown {
  if (typeof value === 'string') return caseExact.has(path) ? value : value.toLowerCase();
  if (Array.isArray(value)) return value.map((v) => foldResource(v, path));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => {
      const name = key.startsWith('urn:') ? '' : key.toLowerCase();
      return [key, foldResource(v, name === '' ? '' : path ? `${path}.${name}` : name)];
    }),
  );
}

class RfcTester extends Tester {
  override pr(r: unknown): boolean {
    return r !== undefined && r !== null && r !== '' && !(Array.isArray(r) && r.length === 0);
  }
}

/** A predicate on SCIM resources. */
export function compileFilter(filter: Filter): (resource: Record<string, unknown>) => boolean {
  const folded = foldValues(filter);
  const tester = new RfcTester();
  return (resource) => tester.test(foldResource(resource, ''), folded);
}

/** `userName eq "…"` (or externalId / id): answered by one indexed query instead of a scan. */
export function equalityLookup(filter: Filter): { attr: 'username' | 'externalid' | 'id'; value: string } | undefined {
  if (filter.op !== 'eq' || typeof filter.compValue !== 'string') return undefined;
  const attr = bareAttr(filter.attrPath);
  return attr === 'username' || attr === 'externalid' || attr === 'id' ? { attr, value: filter.compValue } : undefined;
}

/** The value at a SCIM attribute path (for sortBy), case-insensitive names; multi-valued: the primary or first. */
export function valueAt(resource: Record<string, unknown>, path: string): unknown {
  const colon = path.lastIndexOf(':');
  const parts = colon === -1 ? path.split('.') : [path.slice(0, colon), ...path.slice(colon + 1).split('.')];
  let current: unknown = resource;
  for (const part of parts) {
    if (Array.isArray(current)) current = (current as Record<string, unknown>[]).find((v) => v?.primary === true) ?? current[0];
    if (typeof current !== 'object' || current === null) return undefined;
    const key = Object.keys(current).find((k) => k.toLowerCase() === part.toLowerCase());
    current = key === undefined ? undefined : (current as Record<string, unknown>)[key];
  }
  if (Array.isArray(current)) current = (current as Record<string, unknown>[]).find((v) => v?.primary === true)?.value ?? (current[0] as { value?: unknown })?.value;
  return current;
}
