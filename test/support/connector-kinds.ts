// Test support: a runnable task connector for every kind a task may name, read off its definition —
// its fake (started here, default credentials) or, for a kind with no vendor to fake, its example.
import { connectorCatalog, definitionOf } from '../../connectors/definitions';
import type { RunningFake } from '../../connectors/types';

export interface TaskConnectorBody {
  kind: string;
  settings: Record<string, unknown>;
  secrets: Record<string, string>;
}

export class KindFixtures {
  private constructor(private readonly fakes: Map<string, RunningFake>) {}

  /** Starts the fake of every kind that has one. */
  static async start(): Promise<KindFixtures> {
    const fakes = new Map<string, RunningFake>();
    for (const facts of connectorCatalog) {
      const fake = definitionOf(facts.kind)?.fake;
      if (fake) fakes.set(facts.kind, await fake.start({ port: 0 }));
    }
    return new KindFixtures(fakes);
  }

  fakeOf(kind: string): RunningFake | undefined {
    return this.fakes.get(kind);
  }

  /** The connector part of a task body pointed at the kind's fake, else its example; throws for a kind with neither. */
  connectorOf(kind: string): TaskConnectorBody {
    const definition = definitionOf(kind);
    const fake = this.fakes.get(kind);
    if (definition?.fake && fake) return { kind, ...definition.fake.taskConnector(fake) };
    if (definition?.example) return { kind, ...definition.example };
    throw new Error(`connector kind ${kind} has neither a fake nor an example: a test cannot run it (docs/connectors.md)`);
  }

  async close(): Promise<void> {
    for (const fake of this.fakes.values()) await fake.close();
  }
}
