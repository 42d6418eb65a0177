// Test helpers that drive any running vendor fake through its /__fake control routes.

export async function fakeControl(fake: { url: string }, route: 'seed' | 'faults' | 'emit', body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${fake.url}/__fake/${route}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: res.status, body: await res.json() };
}

export async function fakeState<T>(fake: { url: string }): Promise<T> {
  return (await (await fetch(`${fake.url}/__fake/state`)).json()) as T;
}
