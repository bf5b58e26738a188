// Every JSON body is checked before anything walks it (validation, Better Auth's forwarder, the
// handlers): nested deeper than MAX_BODY_DEPTH, it is refused, since the recursion of whatever
// reads it next (JSON.stringify, zod, our own code) would overflow the stack and answer 500; a
// string that is not well-formed UTF-16 (a lone surrogate, which JSON's \ud800 escapes can make)
// is refused too, since writing it as UTF-8 would silently replace it and change what was sent.
// The walk is iterative; a Buffer (the OTLP receiver's raw body) is not walked.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { MAX_JSON_DEPTH } from '../schemas.ts';

/** Deeper than any body the API's schemas accept (content itself may nest MAX_JSON_DEPTH levels). */
export const MAX_BODY_DEPTH = 2 * MAX_JSON_DEPTH;

function isPlainContainer(value: unknown): value is object {
  if (Array.isArray(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** The body's first problem, or null: too deep, or holding a string that is not well-formed. */
export function bodyProblem(body: unknown, maxDepth = MAX_BODY_DEPTH): AppError | null {
  const stack: Array<[unknown, number]> = [[body, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item === 'string') {
      if (!item.isWellFormed()) return new AppError('invalid_text', 'the body holds text that is not well-formed Unicode (a lone surrogate)');
      continue;
    }
    if (!isPlainContainer(item)) continue;
    if (depth >= maxDepth) return new AppError('invalid_json', `the body nests deeper than ${maxDepth} levels`);
    for (const [key, child] of Object.entries(item)) {
      if (!key.isWellFormed()) return new AppError('invalid_text', 'the body holds a field name that is not well-formed Unicode (a lone surrogate)');
      stack.push([child, depth + 1]);
    }
  }
  return null;
}

export function registerBodyShape(app: FastifyInstance): void {
  app.addHook('preValidation', async (request: FastifyRequest) => {
    if (request.body === undefined) return;
    const problem = bodyProblem(request.body);
    if (problem) throw problem;
  });
}
