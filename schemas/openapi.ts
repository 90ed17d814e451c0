import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponseObject } from 'zod-openapi';
import { IdempotencyKey } from './http.ts';
import { API_VERSION, operationIds, operations, pathParamNames, problemsOf, type Operation, type ResponseHeader } from './operations.ts';
import { PROBLEM_BASE, problem, problemTypes, type ProblemSlug } from './problems.ts';


/** An RFC 9457 problem document as the API sends it. */
export const ProblemDocument = z
  .object({
    type: z.string().meta({ description: `A stable URI naming the problem, under ${PROBLEM_BASE}` }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional().meta({ description: 'What went wrong in this request, and what to do.' }),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional().meta({ description: 'Each invalid field, by where it is (`body.items.0.quantity`).' }),
  })
  .meta({ id: 'Problem' });

/** Response headers, described once in `components.headers` and referred to from every answer. */
const responseHeaders: Record<ResponseHeader | 'X-Request-Id' | 'RateLimit' | 'RateLimit-Policy' | 'Retry-After' | 'WWW-Authenticate', [string, string?]> = {
  Location: ['Where the created or accepted resource can be read.'],
  ETag: ['The version of what was answered; send it in If-Match to change it, or If-None-Match to revalidate.', 'W/"abc"'],
  'Cache-Control': ['How long a cache may keep the answer.'],
  'Idempotent-Replayed': ['`true` when this is the stored answer to an earlier request with the same Idempotency-Key.', 'true'],
  'X-Request-Id': ['The request’s id (yours if you sent one, else generated); every log line of the request carries it.'],
  RateLimit: ['IETF RateLimit: what is left of the caller’s quota in the current window.', '"read-caller";r=299;t=42'],
  'RateLimit-Policy': ['IETF RateLimit-Policy: the quota that applies.', '"read-caller";q=300;w=60'],
  'Retry-After': ['Seconds to wait before trying again.', '5'],
  'WWW-Authenticate': ['How to authenticate.', 'Bearer'],
};
const headerComponents = Object.fromEntries(
  Object.entries(responseHeaders).map(([name, [description, example]]) => [name, { description, schema: { type: 'string' as const, ...(example ? { examples: [example] } : {}) } }]),
);
const headersOf = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, { $ref: `#/components/headers/${n}` }]));

/** Headers a problem of a status carries. */
const problemHeaders = (status: number) => [
  'X-Request-Id',
  ...(status === 429 || status === 503 ? ['Retry-After', 'RateLimit', 'RateLimit-Policy'] : ['RateLimit', 'RateLimit-Policy']),
  ...(status === 401 ? ['WWW-Authenticate'] : []),
];

/** The problem responses of an operation, grouped by status, each problem type with an example. */
function problemResponses(slugs: ProblemSlug[]): Record<string, ZodOpenApiResponseObject> {
  const byStatus = new Map<number, ProblemSlug[]>();
  for (const slug of slugs) byStatus.set(problemTypes[slug].status, [...(byStatus.get(problemTypes[slug].status) ?? []), slug]);
  return Object.fromEntries(
    [...byStatus].sort(([a], [b]) => a - b).map(([status, group]) => [
      String(status),
      {
        description: group.map((slug) => `\`${slug}\`: ${problemTypes[slug].title}`).join('; '),
        headers: headersOf(problemHeaders(status)),
        content: {
          'application/problem+json': {
            schema: ProblemDocument,
            examples: Object.fromEntries(group.map((slug) => [slug, { value: problem(slug, { detail: `see ${PROBLEM_BASE}${slug}` }) }])),
          },
        },
      },
    ]),
  );
}

const accessText = { public: 'Anyone, without a token.', customer: 'A signed-in customer, on their own data only.', admin: 'An admin (token claim `role: "admin"`).' };

function operationObject(id: string, op: Operation): ZodOpenApiOperationObject {
  const header = op.headers?.length
    ? z.object(
        Object.fromEntries(
          op.headers.map((h) => {
            const schema = (h.name === 'Idempotency-Key' ? IdempotencyKey : z.string().min(1)).meta({ description: h.description });
            return [h.name, h.required ? schema : schema.optional()];
          }),
        ),
      )
    : undefined;
  const body = op.body;
  return {
    operationId: id,
    tags: [op.tag],
    summary: op.summary,
    description: [op.description, `**Who may call it:** ${accessText[op.access]}`, `**Rate limit bucket:** \`${op.limit}\`.`, ...(body ? [`**Largest body:** ${body.maxBytes} bytes.`] : [])]
      .filter(Boolean)
      .join('\n\n'),
    'x-access': op.access,
    'x-rate-limit': op.limit,
    ...(op.access === 'public' ? { security: [{}, { bearer: [] }] } : { security: [{ bearer: [] }] }),
    requestParams: { ...(op.params ? { path: op.params } : {}), ...(op.query ? { query: op.query } : {}), ...(header ? { header } : {}) },
    ...(body
      ? {
          requestBody: {
            required: true,
            content:
              body.kind === 'json'
                ? { [body.mediaType]: { schema: body.schema } }
                : Object.fromEntries(['image/jpeg', 'image/png', 'image/webp'].map((t) => [t, { schema: z.string().meta({ format: 'binary' }) }])),
          },
        }
      : {}),
    responses: {
      ...Object.fromEntries(
        Object.entries(op.responses).map(([status, answer]) => [
          status,
          {
            description: answer!.description,
            headers: headersOf([...(answer!.headers ?? []), 'X-Request-Id', 'RateLimit', 'RateLimit-Policy']),
            ...(answer!.schema ? { content: { 'application/json': { schema: answer!.schema } } } : {}),
          },
        ]),
      ),
      ...problemResponses(problemsOf(op)),
    },
  } as ZodOpenApiOperationObject;
}

/** The OpenAPI 3.1 document of the HTTP API, generated from the operations table and its zod schemas. */
export function openApiDocument(options: { serverUrl?: string } = {}) {
  const paths: ZodOpenApiPathsObject = {};
  for (const id of operationIds) {
    const op: Operation = operations[id];
    const names = pathParamNames(op.path);
    if (names.join() !== Object.keys(op.params?.shape ?? {}).join()) throw new Error(`${id}: path parameters ${names.join()} do not match params`);
    paths[op.path] = { ...paths[op.path], [op.method.toLowerCase()]: operationObject(id, op) };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Saga Commerce API',
      version: API_VERSION,
      description:
        'Orders run as a saga of Cloud Functions chained through Pub/Sub (authorize, reserve, capture, confirm, compensating on failure). Every error is RFC 9457 problem+json with a stable `type`. Money is integer minor units with its currency beside it.',
      license: { name: 'Apache 2.0', identifier: 'Apache-2.0' },
      contact: { name: 'Saga Commerce', url: 'https://saga-commerce.dev' },
    },
    servers: [{ url: options.serverUrl ?? 'http://127.0.0.1:8080', description: options.serverUrl === '/' ? 'This API (the host this document was read from)' : 'The local stack (npm run dev)' }],
    tags: [
      { name: 'Orders', description: 'Place orders and follow them.' },
      { name: 'Catalog', description: 'Search and read products.' },
      { name: 'Catalog administration', description: 'Admins create and change products, stock and images.' },
      { name: 'Saga operations', description: 'Admins handle dead letters and stuck orders.' },
    ],
    components: {
      headers: headerComponents,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'An Identity Platform ID token (RS256) for this API’s audience; admins carry the custom claim `role: "admin"`. Locally `npm run token -- --sub <name> [--admin]` prints one.',
        },
      },
    },
    paths,
  });
}
