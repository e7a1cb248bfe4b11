import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scenarioJsonSchemaText } from './jsonSchema.js';

describe('scenarios/scenario.schema.json', () => {
  it('is the JSON Schema of the zod schema as it is now (refresh: npm run build && npm run schema)', () => {
    const shipped = readFileSync('scenarios/scenario.schema.json', 'utf8');
    // toEqual on the parsed trees names the field that differs; the text check also catches formatting.
    expect(JSON.parse(shipped)).toEqual(JSON.parse(scenarioJsonSchemaText()));
    expect(shipped).toBe(scenarioJsonSchemaText());
  });

  it("documents the profile's values where a link override leaves a field out, not a default that would reset them", () => {
    const schema = JSON.parse(scenarioJsonSchemaText()) as {
      properties: { network: { properties: { uplink: { properties: Record<string, { default?: unknown; description?: string }> } } } };
    };
    const latency = schema.properties.network.properties.uplink.properties['latencyMs'];
    expect(latency?.default).toBeUndefined();
    expect(latency?.description).toContain('hospital-fiber 5');
    expect(latency?.description).toContain('rural-4g 40');
  });
});
