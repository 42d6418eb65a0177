// Every connector throws VendorError so the apply step can decide: retry (transient) or fail the item.

export type VendorErrorKind = 'transient' | 'permanent';

export class VendorError extends Error {
  override readonly name = 'VendorError';
  constructor(
    readonly kind: VendorErrorKind,
    /** the vendor's own code (errcode / code / HTTP status), kept for the run item */
    readonly vendorCode: string,
    readonly vendorMessage: string,
    /** the vendor's wait hint, when it gave one */
    readonly retryAfterMs?: number,
    message?: string,
  ) {
    super(message ?? `${vendorCode}: ${vendorMessage}`);
  }

  get transient(): boolean {
    return this.kind === 'transient';
  }
}

/** An input we refuse before calling the vendor (e.g. a department name the vendor would reject). */
export function invalidInput(field: string, reason: string): VendorError {
  return new VendorError('permanent', 'invalid_input', `${field}: ${reason}`);
}
