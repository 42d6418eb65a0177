// Where each known id lives now: the connector resolves ids to DNs from what it read or wrote, and a
// subtree move rewrites the DNs of everything cached under it (every DN under a moved OU changes).
import { normalizeDn } from './dn';

export class DnIndex {
  private readonly dnById = new Map<string, string>();
  private readonly idByDn = new Map<string, string>();

  set(id: string, dn: string): void {
    const old = this.dnById.get(id);
    if (old !== undefined) this.idByDn.delete(normalizeDn(old));
    this.dnById.set(id, dn);
    this.idByDn.set(normalizeDn(dn), id);
  }

  dnOf(id: string): string | undefined {
    return this.dnById.get(id);
  }

  idOf(dn: string): string | undefined {
    return this.idByDn.get(normalizeDn(dn));
  }

  forget(id: string): void {
    const dn = this.dnById.get(id);
    if (dn !== undefined) this.idByDn.delete(normalizeDn(dn));
    this.dnById.delete(id);
  }

  /** `from` became `to`: the entry and every cached DN beneath it. */
  moveSubtree(from: string, to: string): void {
    const oldKey = normalizeDn(from);
    const suffix = `,${oldKey}`;
    for (const [id, dn] of [...this.dnById]) {
      const key = normalizeDn(dn);
      if (key === oldKey) this.set(id, to);
      else if (key.endsWith(suffix)) this.set(id, `${dn.slice(0, dnPrefixLength(dn, from))}${to}`);
    }
  }
}

/** The length of the part of `dn` before its ancestor `ancestor` (as the server spelled `dn`). */
function dnPrefixLength(dn: string, ancestor: string): number {
  // Walk RDN boundaries from the left until the rest normalizes to the ancestor.
  for (let i = 0; i < dn.length; i++) {
    if (dn[i] !== ',' || isEscaped(dn, i)) continue;
    if (normalizeDn(dn.slice(i + 1)) === normalizeDn(ancestor)) return i + 1;
  }
  return dn.length;
}

function isEscaped(text: string, index: number): boolean {
  let backslashes = 0;
  for (let j = index - 1; j >= 0 && text[j] === '\\'; j--) backslashes++;
  return backslashes % 2 === 1;
}
