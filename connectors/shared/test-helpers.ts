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

export interface VendorCallSpy {
  /** the JSON bodies of the calls recorded, in order (assign [] to start afresh) */
  bodies: Array<{ path: string; body: Record<string, unknown> }>;
  /** runs once, right after the next answer to a hooked path arrives (a change "while the read is under way") */
  afterNextHooked?: () => Promise<void>;
  restore(): void;
}

/** Spies on fetch: records the bodies of the calls whose path `record` picks, and runs `afterNextHooked` after a path `hook` picks. */
export function spyVendorCalls(record: (path: string) => boolean, hook: (path: string) => boolean): VendorCallSpy {
  const realFetch = globalThis.fetch;
  const spy: VendorCallSpy = { bodies: [], restore: () => fetchSpy.mockRestore() };
  const fetchSpy = jest.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const { pathname } = new URL(String(input));
    if (record(pathname)) spy.bodies.push({ path: pathname, body: JSON.parse(String(init?.body)) });
    const response = await realFetch(input, init);
    const after = spy.afterNextHooked;
    if (after && hook(pathname)) {
      spy.afterNextHooked = undefined;
      await after();
    }
    return response;
  });
  return spy;
}

/** The most calls of `times` in any window of `windowMs` (the vendor's sliding count). */
export function busiestWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end] - sorted[start] >= windowMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}
