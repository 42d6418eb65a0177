// Where in a vendor's answer the records (or the next cursor) are: a dotted path of own property
// names, e.g. `data.items`; '' is the whole body. Walked by hand over own properties only, so a
// path never reaches a prototype.

export const jsonPathPattern = /^$|^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*)*$/;
const reserved = new Set(['__proto__', 'constructor', 'prototype']);

export function jsonPathProblem(path: string): string | null {
  if (!jsonPathPattern.test(path)) return 'must be a dotted path of property names, e.g. data.items (or empty for the whole body)';
  const word = path.split('.').find((part) => reserved.has(part));
  return word ? `uses "${word}", which is not allowed` : null;
}

export function valueAt(body: unknown, path: string): unknown {
  if (path === '') return body;
  let value: unknown = body;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
