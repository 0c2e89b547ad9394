import { z } from 'zod';
import { RESULTS_SCHEMA_PATH, RESULTS_SCHEMA_URL } from '../published.js';
import { CellResultSchema, RESULT_SCHEMA_VERSION } from '../result/schema.js';

/** Where the published schema lives in the repository. */
export { RESULTS_SCHEMA_PATH };

/**
 * The JSON Schema (draft 2020-12) of results.json, generated from CellResultSchema. It describes what a
 * reader accepts (fields with defaults may be absent), so `io: 'input'`.
 */
export function resultsJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(CellResultSchema, { io: 'input', target: 'draft-2020-12' });
  return {
    $schema: generated.$schema,
    $id: RESULTS_SCHEMA_URL,
    title: `calico-istio-conformance results.json, version ${RESULT_SCHEMA_VERSION}`,
    description:
      'The record of one conformance cell run: versions, support status, verdict, phases, checks, suite expectations, timings and runner.',
    ...Object.fromEntries(Object.entries(generated).filter(([k]) => k !== '$schema')),
  };
}

export function resultsJsonSchemaText(): string {
  return `${JSON.stringify(resultsJsonSchema(), null, 2)}\n`;
}
