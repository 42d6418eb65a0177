// Test helpers for any connector: drive a running vendor fake through its /__fake control routes,
// and capture the VendorError an operation fails with.
import { VendorError } from '../errors';

export async function fakeControl(fake: { url: string }, route: 'seed' | 'faults' | 'emit', body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${fake.url}/__fake/${route}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: res.status, body: await res.json() };
}

export async function fakeState<T>(fake: { url: string }): Promise<T> {
  return (await (await fetch(`${fake.url}/__fake/state`)).json()) as T;
}

/** The VendorError `p` rejects with; anything else (or success) fails the test. */
export async function vendorFailure(p: Promise<unknown>): Promise<VendorError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof VendorError) return err;
    throw err;
  }
  throw new Error('expected a VendorError');
}
