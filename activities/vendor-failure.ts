// Vendor errors as the workflows expect them (see activities/types.ts): transient ones retry with
// the vendor's wait hint, permanent ones of a whole step fail it for good.
import { ApplicationFailure } from '@temporalio/common';
import { VendorError } from '../connectors/errors';

export function transientFailure(error: VendorError): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'VendorTransient',
    message: error.message,
    nonRetryable: false,
    ...(error.retryAfterMs !== undefined ? { nextRetryDelay: error.retryAfterMs } : {}),
  });
}

/** For steps that are not per item (snapshot, approvals): what a thrown error becomes. */
export function toStepFailure(error: unknown): unknown {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof VendorError) {
    if (error.transient) return transientFailure(error);
    return ApplicationFailure.create({ type: 'VendorPermanent', message: error.message, nonRetryable: true, details: [{ vendorCode: error.vendorCode }] });
  }
  return error;
}
