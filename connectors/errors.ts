// Every connector throws VendorError so the apply step can decide: retry (transient) or fail the item.

export type VendorErrorKind = 'transient' | 'permanent';

/**
 * The result class of a vendor call: a fixed, small set (metrics' result label, a failed run's
 * failure class). ok; refused (the vendor said no: an error code in its envelope, or HTTP 4xx);
 * rate_limited; auth_failed (credentials or token refused); transport_error (no usable answer:
 * network, timeout, 5xx, redirect, not JSON); blocked (never sent: the host is not allowed).
 */
export type VendorResult = 'ok' | 'refused' | 'rate_limited' | 'auth_failed' | 'transport_error' | 'blocked';

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
    /**
     * The call's class as the connector read it (its envelope code against the vendor's credential
     * and rate-limit codes); absent: derived from the generic codes (vendorErrorResult).
     */
    readonly result?: Exclude<VendorResult, 'ok'>,
  ) {
    super(message ?? `${vendorCode}: ${vendorMessage}`);
  }

  get transient(): boolean {
    return this.kind === 'transient';
  }

  /** The same error with other texts (secrets scrubbed), its codes and class kept. */
  withText(vendorMessage: string, message: string): VendorError {
    return new VendorError(this.kind, this.vendorCode, vendorMessage, this.retryAfterMs, message, this.result);
  }
}

/** An input we refuse before calling the vendor (e.g. a department name the vendor would reject). */
export function invalidInput(field: string, reason: string): VendorError {
  return new VendorError('permanent', 'invalid_input', `${field}: ${reason}`);
}

/**
 * A failed call's class: the connector's reading when it gave one, else from the generic codes the
 * shared HTTP layer and the clients use (http_<status>, host_not_allowed, timeout, network).
 */
export function vendorErrorResult(error: VendorError): Exclude<VendorResult, 'ok'> {
  if (error.result) return error.result;
  const code = error.vendorCode;
  if (code === 'host_not_allowed') return 'blocked';
  if (code === 'http_429') return 'rate_limited';
  if (code === 'http_401' || code === 'http_403') return 'auth_failed';
  if (code === 'timeout' || code === 'network' || /^http_5\d\d$/.test(code)) return 'transport_error';
  return 'refused';
}
