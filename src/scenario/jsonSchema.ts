/**
 * The JSON Schema of scenario files, generated from the zod schema: what `splitwire schema`
 * prints and what scenarios/scenario.schema.json holds (a test keeps that file current; refresh
 * it with `npm run build && npm run schema`).
 */
import { z } from 'zod';
import { scenarioSchema } from './schema.js';

/** The scenario file format as a JSON Schema (draft 2020-12), input side: defaults documented, every field optional that has one. */
export function scenarioJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(scenarioSchema, { io: 'input' }),
    title: 'splitwire scenario',
    description:
      "A splitwire scenario file (YAML or JSON). Relative paths resolve from the scenario file's folder. Link overrides merge field by field: a field left out inherits from the layer below (per-client → network-wide → profile).",
  };
}

/** The schema file's text: pretty JSON with a final newline. */
export function scenarioJsonSchemaText(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}
