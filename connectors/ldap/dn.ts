// Distinguished names per RFC 4514: escaping a value for an RDN we write, parsing the DNs the server
// answers (escaped, hex-escaped or legacy-quoted), and a normal form to compare them. ldapts's own
// DN/RDN helpers quote values with leading or trailing spaces (RFC 1779 style, which RFC 4514 dropped;
// slapd still takes it, other servers need not) and
// its modifyDN splits the new DN at the first comma not after a backslash, which a value ending in
// a backslash breaks; so values are escaped here, a backslash always as \5C.

/** One attribute=value pair of an RDN, the value unescaped. */
export interface RdnPart {
  type: string;
  value: string;
}

/** Escapes an attribute value for a DN string (RFC 4514 §2.4). */
export function escapeDnValue(value: string): string {
  const chars = [...value];
  return chars
    .map((ch, index) => {
      if (ch === '\\') return '\\5C';
      if (ch === '\0') return '\\00';
      if (',+"<>;='.includes(ch)) return `\\${ch}`;
      if ((ch === ' ' || ch === '#') && index === 0) return `\\${ch}`;
      if (ch === ' ' && index === chars.length - 1) return '\\ ';
      return ch;
    })
    .join('');
}

/** `type=escaped value` */
export function rdn(type: string, value: string): string {
  return `${type}=${escapeDnValue(value)}`;
}

const hex = /^[0-9a-fA-F]{2}$/;

/** Splits a DN into RDNs, each a list of unescaped parts; throws on a malformed DN. */
export function parseDn(dn: string): RdnPart[][] {
  const rdns: RdnPart[][] = [];
  let i = 0;
  const n = dn.length;
  const skipSpaces = () => {
    while (i < n && dn[i] === ' ') i++;
  };
  if (dn.trim() === '') return [];
  while (i < n) {
    const parts: RdnPart[] = [];
    for (;;) {
      skipSpaces();
      let type = '';
      while (i < n && dn[i] !== '=') type += dn[i++];
      if (i >= n) throw new Error(`malformed DN (no "=" in an RDN): ${dn}`);
      i++; // '='
      type = type.trim();
      if (!/^[A-Za-z][A-Za-z0-9-]*$|^[0-9]+(\.[0-9]+)*$/.test(type)) throw new Error(`malformed DN (attribute type "${type}"): ${dn}`);
      skipSpaces();
      const value = readValue();
      parts.push({ type, value });
      if (i < n && dn[i] === '+') {
        i++;
        continue;
      }
      break;
    }
    rdns.push(parts);
    if (i < n) {
      if (dn[i] !== ',' && dn[i] !== ';') throw new Error(`malformed DN near position ${i}: ${dn}`);
      i++;
    }
  }
  return rdns;

  function readValue(): string {
    if (dn[i] === '"') {
      // Legacy quoted value (RFC 2253 readers accept it): up to the closing quote, backslash escapes inside.
      i++;
      let v = '';
      while (i < n && dn[i] !== '"') {
        if (dn[i] === '\\' && i + 1 < n) i++;
        v += dn[i++];
      }
      i++;
      skipSpaces();
      return v;
    }
    if (dn[i] === '#') {
      // A BER-encoded value: kept as written, it only needs to round-trip.
      let v = '';
      while (i < n && dn[i] !== ',' && dn[i] !== '+' && dn[i] !== ';') v += dn[i++];
      return v.trimEnd();
    }
    const bytes: number[] = [];
    let lastEscaped = 0; // byte length up to the last escaped character: trailing spaces before it are kept
    while (i < n && dn[i] !== ',' && dn[i] !== '+' && dn[i] !== ';') {
      if (dn[i] === '\\') {
        const pair = dn.slice(i + 1, i + 3);
        if (hex.test(pair)) {
          bytes.push(parseInt(pair, 16));
          i += 3;
        } else if (i + 1 < n) {
          bytes.push(...Buffer.from(dn[i + 1], 'utf8'));
          i += 2;
        } else throw new Error(`malformed DN (trailing backslash): ${dn}`);
        lastEscaped = bytes.length;
      } else {
        const cp = dn.codePointAt(i) as number;
        const ch = String.fromCodePoint(cp);
        bytes.push(...Buffer.from(ch, 'utf8'));
        i += ch.length;
      }
    }
    // Unescaped trailing spaces are not part of the value (RFC 4514 §3 allows them around separators).
    let end = bytes.length;
    while (end > lastEscaped && bytes[end - 1] === 0x20) end--;
    return Buffer.from(bytes.slice(0, end)).toString('utf8');
  }
}

/** Writes parsed RDNs back as a DN string, every value escaped the one way escapeDnValue does. */
export function formatDn(rdns: RdnPart[][]): string {
  return rdns.map((parts) => parts.map((p) => (p.value.startsWith('#') && /^#[0-9a-fA-F]+$/.test(p.value) ? `${p.type}=${p.value}` : rdn(p.type, p.value))).join('+')).join(',');
}

/**
 * A key two spellings of the same DN share: types and values lower-cased (the naming attributes
 * ou, cn, uid, dc compare case-insensitively), escapes resolved, spaces around separators dropped.
 */
export function normalizeDn(dn: string): string {
  return parseDn(dn)
    .map((parts) =>
      parts
        .map((p) => `${p.type.toLowerCase()}=${escapeDnValue(p.value.toLowerCase())}`)
        .sort()
        .join('+'),
    )
    .join(',');
}

/** The parent DN (as a string in our own escaping), or null for a single RDN. */
export function parentDn(dn: string): string | null {
  const rdns = parseDn(dn);
  return rdns.length <= 1 ? null : formatDn(rdns.slice(1));
}

/** The first RDN's value (an OU's name, a user's cn). */
export function leafValue(dn: string): string {
  const [first] = parseDn(dn);
  return first?.[0]?.value ?? '';
}

/** Whether `dn` is `ancestor` or lies under it. */
export function isUnder(dn: string, ancestor: string): boolean {
  const a = normalizeDn(dn);
  const b = normalizeDn(ancestor);
  return a === b || a.endsWith(`,${b}`);
}
