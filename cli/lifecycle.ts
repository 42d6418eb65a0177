// Runs a set of started services until SIGINT/SIGTERM or a fatal error, then stops them in
// reverse start order, so the API stops taking requests before the worker drains and Temporal goes.
export class StartupAborted extends Error {
  override name = 'StartupAborted';
}

export class Lifecycle {
  private readonly steps: { name: string; stop: () => Promise<void> }[] = [];
  private stopping: Promise<number> | undefined;
  private readonly done: Promise<number>;
  private resolveDone!: (code: number) => void;
  private firstSignalAt = 0;
  private readonly onSignal = (signal: NodeJS.Signals) => {
    // `npm start` forwards the terminal's Ctrl-C, so one keypress can arrive twice within moments.
    if (this.stopping && Date.now() - this.firstSignalAt < 1000) return;
    if (this.stopping) {
      this.log(`[sync-center] ${signal} again: exiting without waiting`);
      process.exit(130);
    }
    this.firstSignalAt = Date.now();
    this.log(`[sync-center] ${signal} received, stopping… (again to exit at once)`);
    void this.shutdown(0);
  };

  /** Installs SIGINT/SIGTERM handlers at once, so a Ctrl-C during start-up is clean too. */
  constructor(private readonly log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** Registers how to stop something that has just started; if a stop was requested meanwhile, stops it now. */
  async add(name: string, stop: () => Promise<void>): Promise<void> {
    if (this.stopping) {
      await stop();
      throw new StartupAborted(`stopped while starting ${name}`);
    }
    this.steps.push({ name, stop });
  }

  /** Stops everything registered so far, last started first; idempotent. */
  shutdown(exitCode = 0): Promise<number> {
    this.stopping ??= (async () => {
      let code = exitCode;
      for (const step of [...this.steps].reverse()) {
        try {
          await step.stop();
        } catch (err) {
          code = code || 1;
          this.log(`[sync-center] stopping ${step.name} failed: ${(err as Error).message}`);
        }
      }
      process.removeListener('SIGINT', this.onSignal);
      process.removeListener('SIGTERM', this.onSignal);
      this.resolveDone(code);
      return code;
    })();
    return this.stopping;
  }

  /** A service died on its own: stop the rest and exit non-zero. */
  fail(what: string, err: unknown): void {
    this.log(`[sync-center] ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
    void this.shutdown(1);
  }

  /** Resolves with the exit code once a signal (or fail()) has stopped everything. */
  untilStopped(): Promise<number> {
    return this.done;
  }

  /** For start-up errors: a requested stop exits 0, anything else is reported and exits 1. */
  async abortStartup(err: unknown): Promise<number> {
    if (err instanceof StartupAborted || this.isStopping) return this.shutdown(0);
    this.log(`[sync-center] start-up failed: ${err instanceof Error ? err.message : String(err)}`);
    return this.shutdown(1);
  }
}
