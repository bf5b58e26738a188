// Canaries for P-LOG-1: unique strings planted as secrets and content. Whatever a test sends
import type { FastifyInstance } from 'fastify';
// through custos, none of them may come back out in a log line or an error body.
import crypto from 'node:crypto';

export class Canaries {
  readonly #planted = new Map<string, string>();

  /** A fresh unique string, remembered under a label that says where it was planted. */
  plant(label: string): string {
    const value = `canary${crypto.randomBytes(8).toString('hex')}`;
    this.#planted.set(value, label);
    return value;
  }

  /** Every planted canary that appears in the texts, with where it was planted and where found. */
  leaks(texts: Record<string, string>): string[] {
    const found: string[] = [];
    for (const [where, text] of Object.entries(texts)) {
      for (const [value, label] of this.#planted) {
        if (text.includes(value)) found.push(`${label} leaked into ${where}`);
      }
    }
    return found;
  }

  get size(): number {
    return this.#planted.size;
  }
}

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
}

export interface SweepResult {
  requests: number;
  bodies: string[];
}

/**
 * Sends every documented route (from the server's own OpenAPI document) requests that carry fresh
 * canaries everywhere a client can put something: path parameters, query string, Authorization,
 * Cookie and API-key headers, a JSON body, and a malformed body. Returns every response body, to be
 * scanned with the log lines. Later issues get their routes swept by documenting them.
 */
export async function sweepRoutes(
  http: FastifyInstance,
  canaries: Canaries,
  credentials: Array<Record<string, string>>,
): Promise<SweepResult> {
  const doc = (await http.inject({ url: '/docs' })).json() as OpenApiDocument;
  const bodies: string[] = [];
  let requests = 0;
  for (const [template, operations] of Object.entries(doc.paths)) {
    for (const method of Object.keys(operations).map((m) => m.toUpperCase())) {
      for (const extraHeaders of [{}, ...credentials]) {
        // Path parameters alternate between plain canaries and malformed percent-encoding around one.
        const broken = Object.keys(extraHeaders).length % 2 === 1;
        const url = template.replace(/\{[^}]+\}/g, () => `${broken ? '%zz' : ''}${canaries.plant(`path of ${method} ${template}`)}`) +
          `?q=${canaries.plant(`query of ${method} ${template}`)}&token=${canaries.plant('token in query')}`;
        const headers = {
          authorization: `Bearer ${canaries.plant('Authorization header')}`,
          cookie: `custos_session=${canaries.plant('Cookie header')}`,
          'x-api-key': canaries.plant('x-api-key header'),
          'user-agent': canaries.plant('User-Agent header'),
          ...extraHeaders,
        };
        const payloads = method === 'GET' || method === 'HEAD'
          ? [undefined]
          : [
              JSON.stringify({ name: canaries.plant('body field'), prompt: canaries.plant('content in body'), apiKey: canaries.plant('secret in body') }),
              `{"name": "${canaries.plant('malformed body')}", oops`,
            ];
        for (const payload of payloads) {
          const res = await http.inject({
            method: method as 'GET',
            url,
            headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
            ...(payload === undefined ? {} : { payload }),
          });
          requests += 1;
          bodies.push(`${res.statusCode} ${JSON.stringify(res.headers)} ${res.body}`);
        }
      }
    }
  }
  return { requests, bodies };
}
