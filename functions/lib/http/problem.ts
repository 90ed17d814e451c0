import type { Response } from '@google-cloud/functions-framework';
import type { z } from 'zod';
import { problem, type Problem, type ProblemSlug } from '../../../schemas/index.ts';

/** An error that answers the request with a problem document. */
export class HttpProblem extends Error {
  constructor(
    readonly problem: Problem,
    readonly headers: Record<string, string> = {},
  ) {
    super(problem.detail ?? problem.title);
  }

  /** A problem of a known slug with optional detail and field errors. */
  static of(slug: ProblemSlug, detail?: string, extra: Partial<Problem> = {}, headers?: Record<string, string>) {
    return new HttpProblem(problem(slug, { ...(detail ? { detail } : {}), ...extra }), headers);
  }
}

/** A validation problem listing each invalid field by its path. */
export function validationProblem(error: z.ZodError, where: 'body' | 'query' | 'path'): HttpProblem {
  const errors = error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  return HttpProblem.of('validation-error', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
}

/** Writes a problem document. */
export function sendProblem(res: Response, body: Problem, headers: Record<string, string> = {}): void {
  res.status(body.status).set(headers).type('application/problem+json').send(JSON.stringify(body));
}
