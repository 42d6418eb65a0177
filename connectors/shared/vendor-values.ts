// Small conversions every vendor mapping needs.

/** Vendors send an absent optional field as missing or as ''; the canonical model says null. */
export function orNull(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}
