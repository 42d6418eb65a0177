// Helpers of the connection tests (connectors/<kind>/connection-test.ts): one vendor call per check,
// a refusal becomes a failed check carrying the vendor's code and message (the clients scrub secrets).
import { VendorError } from '../errors';
import type { ConnectionCheck } from '../types';

/** The vendor's code and message of a refusal; anything else says only its class, never a stack or a body. */
export function refusalDetail(error: unknown): string {
  if (error instanceof VendorError) return `${error.vendorCode}: ${error.vendorMessage}`;
  return error instanceof Error ? error.name : 'failed';
}

/**
 * Runs one probe; ok with its detail, or failed with the vendor's refusal — followed, for the vendor
 * codes `hints` knows, by what to change in the vendor's console.
 */
export async function probe(name: ConnectionCheck['name'], run: () => Promise<string>, hints: Record<string, string> = {}): Promise<{ check: ConnectionCheck; error?: unknown }> {
  try {
    return { check: { name, ok: true, detail: await run() } };
  } catch (error) {
    const hint = error instanceof VendorError ? hints[error.vendorCode] : undefined;
    return { check: { name, ok: false, detail: hint ? `${refusalDetail(error)} — ${hint}` : refusalDetail(error) }, error };
  }
}

/** A check that cannot run because an earlier one failed. */
export const skipped = (name: ConnectionCheck['name'], because: string): ConnectionCheck => ({ name, ok: false, detail: `not checked: ${because}` });
