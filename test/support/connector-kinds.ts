// Test support: a runnable task connector for every kind a task may name, read off its definition —
// its fake (started here, default credentials) or, for a kind with no vendor to fake, its example.
import { connectorCatalog, definitionOf } from '../../connectors/definitions';
import type { RunningFake } from '../../connectors/types';
import { slapdSyncAccount, startSlapd } from './slapd';

export interface TaskConnectorBody {
  kind: string;
  settings: Record<string, unknown>;
  secrets: Record<string, string>;
}

interface RunningPeer {
  connector: Omit<TaskConnectorBody, 'kind'>;
  stop(): Promise<void>;
}

/** Kinds tested against a real third-party server instead of a fake of ours: how to start one. */
const realPeers: Record<string, () => Promise<RunningPeer>> = {
  ldap: async () => {
    const slapd = await startSlapd();
    return {
      connector: { settings: { url: slapd.url, bindDn: slapdSyncAccount.dn, baseDn: slapd.suffix }, secrets: { bindPassword: slapdSyncAccount.password } },
      stop: () => slapd.stop(),
    };
  },
};

export class KindFixtures {
  private constructor(
    private readonly fakes: Map<string, RunningFake>,
    private readonly peers: Map<string, RunningPeer>,
  ) {}

  /** Starts the fake of every kind that has one, and the real server of every kind tested against one. */
  static async start(): Promise<KindFixtures> {
    const fakes = new Map<string, RunningFake>();
    const peers = new Map<string, RunningPeer>();
    for (const facts of connectorCatalog) {
      const fake = definitionOf(facts.kind)?.fake;
      if (fake) fakes.set(facts.kind, await fake.start({ port: 0 }));
      else if (realPeers[facts.kind]) peers.set(facts.kind, await realPeers[facts.kind]());
    }
    return new KindFixtures(fakes, peers);
  }

  fakeOf(kind: string): RunningFake | undefined {
    return this.fakes.get(kind);
  }

  /** The connector part of a task body pointed at the kind's fake, else its example; throws for a kind with neither. */
  connectorOf(kind: string): TaskConnectorBody {
    const definition = definitionOf(kind);
    const fake = this.fakes.get(kind);
    if (definition?.fake && fake) return { kind, ...definition.fake.taskConnector(fake) };
    const peer = this.peers.get(kind);
    if (peer) return { kind, ...peer.connector };
    if (definition?.example) return { kind, ...definition.example };
    throw new Error(`connector kind ${kind} has neither a fake, a real test server nor an example: a test cannot run it (docs/connectors.md)`);
  }

  async close(): Promise<void> {
    for (const fake of this.fakes.values()) await fake.close();
    for (const peer of this.peers.values()) await peer.stop();
  }
}
