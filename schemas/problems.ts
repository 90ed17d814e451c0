/** Every problem type the API answers with (RFC 9457); `type` URIs are stable and documented in docs/problems.md. */
export const problemTypes = {
  'validation-error': { status: 400, title: 'The request is not valid' },
  'malformed-request': { status: 400, title: 'The request could not be parsed (malformed JSON body or URL)' },
  unauthenticated: { status: 401, title: 'A valid bearer token is required' },
  forbidden: { status: 403, title: 'You may not do this' },
  'not-found': { status: 404, title: 'No such resource' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'The resource already exists or is in another state' },
  'insufficient-stock': { status: 409, title: 'Stock cannot go below zero' },
  'precondition-failed': { status: 412, title: 'The resource changed since you read it' },
  'length-required': { status: 411, title: 'Send the body with a Content-Length' },
  'payload-too-large': { status: 413, title: 'The request body is too large' },
  'unsupported-media-type': { status: 415, title: 'The body is not of a type this endpoint takes' },
  'precondition-required': { status: 428, title: 'Send If-Match with the ETag you read' },
  'unknown-product': { status: 422, title: 'An ordered product does not exist' },
  'idempotency-key-reused': { status: 422, title: 'This Idempotency-Key was already used with a different request' },
  'idempotency-key-in-use': { status: 409, title: 'A request with this Idempotency-Key is still being processed' },
  'mixed-currencies': { status: 422, title: 'All products of an order must share one currency' },
  'too-many-open-orders': { status: 409, title: 'Too many of your orders are still being processed' },
  'rate-limited': { status: 429, title: 'Too many requests; slow down' },
  'service-unavailable': { status: 503, title: 'A dependency is unavailable; retry later' },
  internal: { status: 500, title: 'Unexpected error' },
} as const;

export type ProblemSlug = keyof typeof problemTypes;

/** Base of every problem `type` URI. */
export const PROBLEM_BASE = 'https://saga-commerce.dev/problems/';

/** An RFC 9457 problem document. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: { path: string; message: string }[];
}

/** Builds the problem document of a slug. */
export function problem(slug: ProblemSlug, extra: Omit<Problem, 'type' | 'title' | 'status'> = {}): Problem {
  const { status, title } = problemTypes[slug];
  return { type: PROBLEM_BASE + slug, title, status, ...extra };
}
