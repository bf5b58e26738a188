// The operations to fuzz, read from what the server itself documents (GET /docs is built from the
// routes Fastify registered, each with its zod schemas), and a plausible value for a JSON Schema:
// the starting point that the hostile mutations (arbitraries.ts) then break one piece of.

export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  format?: string;
  pattern?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  minLength?: number;
  minimum?: number;
  default?: unknown;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query';
  schema: JsonSchema;
}

export interface Operation {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  /** OpenAPI's template: /v1/conversations/{id}. */
  path: string;
  parameters: Parameter[];
  body: JsonSchema | undefined;
}

interface OpenApi {
  paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>>;
}

export function operationsOf(document: unknown): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries((document as OpenApi).paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      operations.push({
        method: method.toUpperCase() as Operation['method'],
        path,
        parameters: (operation.parameters ?? []).filter((p) => p.in === 'path' || p.in === 'query'),
        body: operation.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return operations;
}

/** Ids the fuzzer can aim at: the fuzzing person's own things, so that requests get past the 404s. */
export interface KnownIds {
  uuids: string[];
  email: string;
}

/** A value the schema accepts, as far as a simple reading of it goes (no pattern solving). */
export function plausible(schema: JsonSchema | undefined, known: KnownIds, depth = 0): unknown {
  if (!schema || depth > 8) return null;
  if (schema.enum?.length) return schema.enum[0];
  const choice = schema.anyOf?.[0] ?? schema.oneOf?.[0];
  if (choice) return plausible(choice, known, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        if (schema.required?.includes(name) || name === 'name' || name === 'label') out[name] = plausible(property, known, depth + 1);
      }
      return out;
    }
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 0) }, () => plausible(schema.items, known, depth + 1));
    case 'integer':
    case 'number':
      return schema.default ?? Math.max(1, schema.minimum ?? 1);
    case 'boolean':
      return true;
    case 'string':
      if (schema.format === 'uuid' || schema.pattern?.includes('[0-9a-fA-F]{8}')) return known.uuids[0] ?? '00000000-0000-4000-8000-000000000000';
      if (schema.format === 'email') return known.email;
      if (schema.format === 'date-time') return new Date(Date.now() + 3_600_000).toISOString();
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
    default:
      return 'x';
  }
}
