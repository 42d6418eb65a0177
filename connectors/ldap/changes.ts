// Incremental reads: which users and OUs changed at or after a watermark, by the profile's change
// attribute (OpenLDAP modifyTimestamp, AD uSNChanged). The watermark for next time is the highest
// value among the entries changed, read by a search that ends before the one listing the ids begins:
// a write after that first search gets a value at or above it (one server's clock or counter only
// moves forward), so the next read lists it again rather than missing it.
import { AndFilter, FilterParser, GreaterThanEqualsFilter, PresenceFilter, type Filter } from 'ldapts';
import type { ChangesSince } from '../types';
import { invalidInput, VendorError } from '../errors';
import type { LdapClient } from './client';
import { normalizeDn } from './dn';
import { first, type ChangeAttribute, type IdCodec } from './profile';

/** One part of the directory the connector reads: the OUs under departmentsDn, the users under usersDn. */
export interface ChangeScope {
  base: string;
  /** the task's filter text (userFilter) or the connector's own: parsed once, never concatenated with a value */
  classFilter: string;
  /** an entry of the scope that is not read (departmentsDn itself) */
  excludeDn?: string;
}

export interface ChangeReaderOptions {
  client: LdapClient;
  change: ChangeAttribute;
  ids: IdCodec;
  scopes: ChangeScope[];
  pageSize: number;
  /** every entry seen, so later look-ups by id need no search */
  onEntry?: (id: string, dn: string) => void;
}

export function createChangeReader(options: ChangeReaderOptions) {
  const { client, change, ids, pageSize } = options;
  const buffers = ids.binary ? [ids.attribute] : [];
  const scopes = options.scopes.map((scope) => ({ ...scope, parsed: FilterParser.parseString(scope.classFilter), excluded: scope.excludeDn && normalizeDn(scope.excludeDn) }));

  // A filter object: the value is BER-encoded as a value, so no watermark can change the filter's shape (RFC 4515 escaping is moot).
  const changedFilter = (since: string | null): Filter =>
    since === null ? new PresenceFilter({ attribute: change.name }) : new GreaterThanEqualsFilter({ attribute: change.name, value: since });

  async function* changedEntries(since: string | null, attributes: string[]) {
    for (const scope of scopes) {
      const filter = new AndFilter({ filters: [scope.parsed, changedFilter(since)] });
      for await (const page of client.searchPages(scope.base, { scope: 'sub', filter, attributes, explicitBufferAttributes: buffers, pageSize })) {
        for (const entry of page) if (!scope.excluded || normalizeDn(entry.dn) !== scope.excluded) yield entry;
      }
    }
  }

  /** The highest change value among the entries changed at or after `since` (every entry when null). */
  async function highestChange(since: string | null): Promise<string | undefined> {
    let highest: string | undefined;
    for await (const entry of changedEntries(since, [change.name])) {
      const value = first(entry[change.name] ?? entry[Object.keys(entry).find((k) => k.toLowerCase() === change.name.toLowerCase()) ?? '']);
      if (value !== undefined && change.pattern.test(value) && (highest === undefined || change.compare(value, highest) > 0)) highest = value;
    }
    return highest;
  }

  /** Whether any user or OU is there at all (one entry is enough). */
  async function anyEntry(): Promise<boolean> {
    for (const scope of scopes) {
      const entries = await client.search(scope.base, { scope: 'sub', filter: scope.parsed, attributes: ['1.1'], sizeLimit: 2 }).catch((error: unknown) => {
        // sizeLimitExceeded (4) still means there are entries.
        if (error instanceof VendorError && error.vendorCode === '4') return [{ dn: '' }, { dn: '' }];
        throw error;
      });
      if (entries.some((entry) => !scope.excluded || normalizeDn(entry.dn) !== scope.excluded)) return true;
    }
    return false;
  }

  return {
    async changeWatermark(): Promise<string> {
      const highest = await highestChange(null);
      if (highest !== undefined) return highest;
      // Users but no change value: the bind DN may not read it (an ACL), and every filter on it would then match nothing.
      if (await anyEntry()) throw new VendorError('permanent', 'no_change_attribute', `${change.name}: no user or OU carries a readable value; incremental reads need the bind DN to read it`);
      return change.floor;
    },

    async readChangesSince(since: string): Promise<ChangesSince> {
      if (typeof since !== 'string' || !change.pattern.test(since)) throw invalidInput('watermark', `not a ${change.name} value: ${JSON.stringify(String(since).slice(0, 40))}`);
      // First the mark, then the ids: see the comment at the top of this file.
      const highest = await highestChange(since);
      const watermark = highest !== undefined && change.compare(highest, since) > 0 ? highest : since;
      const changed = new Set<string>();
      for await (const entry of changedEntries(since, [ids.attribute])) {
        const id = ids.read(entry);
        if (!id) continue;
        changed.add(id);
        options.onEntry?.(id, entry.dn);
      }
      return { changedIds: [...changed], watermark };
    },
  };
}
