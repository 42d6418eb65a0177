// Building blocks of the connectors' settings and secrets schemas (connectors/<kind>/definition.ts).
import { z } from 'zod';

/** An endpoint the connector calls; no credentials in it (they belong in secrets). */
export const httpUrl = (description: string) =>
  z
    .string()
    .trim()
    .regex(/^https?:\/\/[^\s@]+$/, 'must be an http(s) URL without credentials')
    .describe(description);

export const requiredText = (description: string) => z.string().trim().min(1, 'is required (a non-empty string)').describe(description);

export const secret = (description: string) => z.string().min(1, 'is required').describe(description);

// min(1), not positive(): the OpenAPI 3.0 document then says `minimum: 1` (positive() renders an exclusiveMinimum without its minimum, which schemathesis refuses).
export const positiveInt = (description: string) => z.number().int().min(1).describe(description);
