// Reachability checks for a Temporal frontend, used by start-up waits and by /healthz.
import { Connection } from '@temporalio/client';

/** Resolves when the frontend answers and the namespace exists; rejects otherwise. */
export async function checkTemporal(connection: Connection, namespace: string, timeoutMs = 3000): Promise<void> {
  await connection.withDeadline(Date.now() + timeoutMs, async () => {
    await connection.workflowService.getSystemInfo({});
    await connection.workflowService.describeNamespace({ namespace });
  });
}

export interface WaitForTemporalOptions {
  address: string;
  namespace: string;
  timeoutMs?: number;
  /** stop waiting early, e.g. when the dev server process has exited */
  abortSignal?: AbortSignal;
}

/** Connects with retry until the frontend and the namespace answer; returns the open connection. */
export async function waitForTemporal(options: WaitForTemporalOptions): Promise<Connection> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (options.abortSignal?.aborted) throw options.abortSignal.reason ?? new Error('aborted');
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address: options.address, connectTimeout: '2s' });
      await checkTemporal(connection, options.namespace);
      return connection;
    } catch (err) {
      lastError = err;
      await connection?.close().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`Temporal at ${options.address} did not answer within ${options.timeoutMs ?? 60_000} ms (last error: ${reason})`);
}
