// Mobile numbers in one form, E.164 (+8613800000001), however a person or an app wrote them:
// "+86 138 0000 0001", "+86-13800000001", "0086 138…", "86-138…", or a national "138…" / "0138…"
// of the default country. Country calling codes are prefix-free (ITU-T E.164), so splitting a
// number needs only the one- and two-digit codes: every other code has three digits.

const oneDigitCodes = new Set(['1', '7']);
const twoDigitCodes = new Set(
  '20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98'.split(' '),
);

/** The country code of mainland China, the home region of WeCom and DingTalk. */
export const chinaCountryCode = '86';

/** The variable that sets the country of national numbers (default 86). */
export const defaultCountryCodeVariable = 'SYNC_CENTER_DEFAULT_COUNTRY_CODE';

const e164Pattern = /^\+[1-9]\d{6,14}$/;
const separators = /[\s\-.()]/g;

/** The country code and national number of an E.164 number (`+8613800000001` → 86, 13800000001). */
export function splitE164(e164: string): { countryCode: string; national: string } {
  const digits = e164.replace(/^\+/, '');
  const length = oneDigitCodes.has(digits[0]) ? 1 : twoDigitCodes.has(digits.slice(0, 2)) ? 2 : 3;
  return { countryCode: digits.slice(0, length), national: digits.slice(length) };
}

/** `86` or `+86` → `86`; null when it is not a country calling code. */
export function parseCountryCode(value: string): string | null {
  const code = value.trim().replace(/^\+/, '');
  if (!/^[1-9]\d{0,2}$/.test(code)) return null;
  return splitE164(`+${code}0000000`).countryCode === code ? code : null;
}

/** The configured country of national numbers: SYNC_CENTER_DEFAULT_COUNTRY_CODE, else 86. */
export function defaultCountryCode(env: Record<string, string | undefined> = process.env): string {
  const raw = env[defaultCountryCodeVariable]?.trim();
  if (!raw) return chinaCountryCode;
  const code = parseCountryCode(raw);
  if (code === null) throw new Error(`${defaultCountryCodeVariable}: must be a country calling code such as 86 or +1`);
  return code;
}

/**
 * E.164 for a mobile written any of the usual ways; null when it is no phone number. A number
 * without a country code is a national number of `countryCode` (its trunk prefix 0 dropped); the
 * country code may also lead without "+" when a separator follows it (`86-138…`, `86 138…`).
 */
export function toE164(raw: string, countryCode: string): string | null {
  const text = raw.trim().replace(/＋/g, '+');
  const compact = text.replace(separators, '');
  if (!/^\+?\d+$/.test(compact)) return null;
  let digits: string;
  if (compact.startsWith('+')) digits = compact.slice(1);
  else if (compact.startsWith('00')) digits = compact.slice(2);
  else if (new RegExp(`^\\(?${countryCode}\\)?[\\s\\-.]`).test(text)) digits = compact;
  // A mainland mobile glued to its country code (8613800000001) is common enough to read as such.
  else if (countryCode === chinaCountryCode && /^861\d{10}$/.test(compact)) digits = compact;
  else digits = countryCode + compact.replace(/^0/, '');
  const e164 = `+${digits}`;
  return e164Pattern.test(e164) && plausibleNational(splitE164(e164)) ? e164 : null;
}

/** Too short for a phone anywhere, or not a mainland length (mobiles 1 + 10 digits, landlines 9–11): a typo. */
function plausibleNational({ countryCode, national }: { countryCode: string; national: string }): boolean {
  if (countryCode !== chinaCountryCode) return national.length >= 6;
  const mobile = national.startsWith('1') && !national.startsWith('10'); // 10 is Beijing's area code
  return mobile ? national.length === 11 : national.length >= 9 && national.length <= 11;
}

/**
 * A vendor's national form: numbers of its home country without a code, others as
 * `+<code><separator><number>` (WeCom `+852 12345678`, DingTalk `+852-12345678`). Null when not a number.
 */
export function homeOrInternational(raw: string, homeCountryCode: string, separator: string): string | null {
  const e164 = toE164(raw, homeCountryCode);
  if (e164 === null) return null;
  const { countryCode, national } = splitE164(e164);
  return countryCode === homeCountryCode ? national : `+${countryCode}${separator}${national}`;
}

/** A mobile an app answered, as E.164 (national numbers in `homeCountryCode`); kept as given when it is no number. */
export function canonicalMobile(raw: string | null | undefined, homeCountryCode: string): string | null {
  const text = raw?.trim();
  if (!text) return null;
  return toE164(text, homeCountryCode) ?? text;
}
