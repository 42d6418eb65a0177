// XML from outside the trust boundary (vendor callbacks). No vendor sends a DTD, so any markup
// declaration (<!DOCTYPE, <!ENTITY, <!ELEMENT, <!ATTLIST …) is refused before a parser sees the text,
// and the parser never expands entities: no entity bomb, no external entity, whatever the library does.
import { XMLParser } from 'fast-xml-parser';
import { CallbackVerificationError } from './callback-crypto';

// `<!` that opens neither CDATA nor a comment is a declaration. Linear scan, no backtracking.
const declaration = /<!(?!\[CDATA\[|--)/;

/** Throws `malformed` if the text carries a DOCTYPE or any other markup declaration. */
export function refuseXmlDeclarations(text: string, what: string): void {
  if (declaration.test(text)) throw new CallbackVerificationError('malformed', `${what} carries a DOCTYPE or entity declaration`);
}

// Everything as text: ids like "001" and userids like "1e5" must not become numbers. Entity
// references (even &amp;) stay as written: the ids we read are plain or CDATA.
const parser = new XMLParser({ parseTagValue: false, parseAttributeValue: false, ignoreAttributes: true, trimValues: true, processEntities: false, htmlEntities: false });

/** Parses XML after refusing declarations; throws `malformed` for anything that is not XML. */
export function parseUntrustedXml(text: string, what: string): unknown {
  refuseXmlDeclarations(text, what);
  try {
    return parser.parse(text);
  } catch {
    throw new CallbackVerificationError('malformed', `${what} is not XML`);
  }
}

/**
 * The base64 text of the one `<name>` element (CDATA or plain), found without parsing: the
 * signature over it is checked before any XML parser runs. Anything else is `malformed`.
 */
export function extractBase64Element(text: string, name: string, what: string): string {
  refuseXmlDeclarations(text, what);
  const open = `<${name}>`;
  const first = text.indexOf(open);
  if (first < 0) throw new CallbackVerificationError('malformed', `${what} has no ${open}`);
  if (text.indexOf(open, first + open.length) >= 0) throw new CallbackVerificationError('malformed', `${what} must carry exactly one ${open}`);
  // The class has no whitespace, '<' or ']': each part matches in one linear pass.
  const element = new RegExp(`^<${name}>\\s*(?:<!\\[CDATA\\[([A-Za-z0-9+/=]+)\\]\\]>|([A-Za-z0-9+/=]+))\\s*</${name}>`);
  const match = element.exec(text.slice(first));
  const value = match?.[1] ?? match?.[2];
  if (!value) throw new CallbackVerificationError('malformed', `${what} has no base64 text in ${open}`);
  return value;
}
