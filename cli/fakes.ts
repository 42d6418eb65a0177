// The vendor fakes `sync-center fake <kind>` can start: every definition that ships one.
import { definitions } from '../connectors/definitions';
import type { FakeDefinition } from '../connectors/types';

export type { FakeCredentialFlag, RunningFake } from '../connectors/types';
export type FakeKind = FakeDefinition;

export const fakeKinds: Record<string, FakeKind> = Object.fromEntries(definitions.flatMap((d) => ('fake' in d && d.fake ? [[d.kind, d.fake]] : [])));
