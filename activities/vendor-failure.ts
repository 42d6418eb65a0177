// Vendor errors as the workflows expect them (see activities/types.ts): transient ones retry with
// the vendor's wait hint, permanent ones of a whole step fail it for good. Both carry the error's
// failure class (engine/failure-class.ts), which the run records when the step fails it.
import { ApplicationFailure } from '@temporalio/common';
import { VendorError, vendorErrorResult } from '../connectors/errors';
import { failureClassOfVendorResult, type RunFailureClass } from '../engine/failure-class';

export interface VendorFailureDetails {
  vendorCode: string;
  failureClass: RunFailureClass;
}

export function vendorFailureDetails(error: VendorError): VendorFailureDetails {
  return { vendorCode: error.vendorCode, failureClass: failureClassOfVendorResult(vendorErrorResult(error), error.vendorCode) };
}

export function transientFailure(error: VendorError): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'VendorTransient',
    message: error.message,
    nonRetryable: false,
    details: [vendorFailureDetails(error)],
    ...(error.retryAfterMs !== undefined ? { nextRetryDelay: error.retryAfterMs } : {}),
  });
}

/** For steps that are not per item (snapshot, approvals): what a thrown error becomes. */
export function toStepFailure(error: unknown): unknown {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof VendorError) {
    if (error.transient) return transientFailure(error);
    return ApplicationFailure.create({ type: 'VendorPermanent', message: error.message, nonRetryable: true, details: [vendorFailureDetails(error)] });
  }
  return error;
}
