import { z } from 'zod';
import { Metadata } from './envelope.ts';
import { eventSchemas, eventTypes, type EventType } from './events.ts';
import { API_VERSION } from './operations.ts';
import { functionNames, functions, subscriptions, type FunctionSpec } from './topology.ts';

/** The JSON Schema (draft 2020-12) of one event as it travels: `{ type, data, metadata }`. */
export function eventJsonSchema(type: EventType): Record<string, unknown> {
  const envelope = z.object({ type: z.literal(type), data: eventSchemas[type], metadata: Metadata });
  return {
    $id: `https://saga-commerce.dev/events/${type}.json`,
    title: type,
    ...z.toJSONSchema(envelope, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any' }),
  };
}

/** Replaces `{ $ref: '#/$defs/X' }` with the definition itself. */
function inlineDefs(value: unknown, defs: Record<string, unknown>): Record<string, unknown> {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (!v || typeof v !== 'object') return v;
    const ref = (v as { $ref?: unknown }).$ref;
    if (typeof ref === 'string' && ref.startsWith('#/$defs/')) return walk(defs[ref.slice('#/$defs/'.length)]);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
  };
  return walk(value) as Record<string, unknown>;
}

/** Who publishes each event type: functions whose row lists it (jobs and replays that only republish are not producers). */
export const producersOf = (type: EventType) => functionNames.filter((fn) => (functions[fn] as FunctionSpec).publishes.includes(type));
/** Which functions consume each event type (each through its own push subscription). */
export const consumersOf = (type: EventType) => [...new Set(subscriptions().filter((s) => s.topic === type && functions[s.function].trigger === 'topic').map((s) => s.function))];

/**
 * The AsyncAPI 3.0 document of the saga's events, from the topology table: a channel per topic with its message
 * schema, the functions that publish it (send) and consume it (receive).
 */
export function asyncApiDocument(options: { project?: string } = {}) {
  const project = options.project ?? '{project}';
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const type of eventTypes) {
    const key = type.replace(/\./g, '_');
    const { $id: _id, title: _title, $schema: _schema, $defs, ...schema } = eventJsonSchema(type);
    // AsyncAPI's schema object predates `$defs`: shared definitions are written out where they are used.
    const payload = inlineDefs(schema, ($defs ?? {}) as Record<string, unknown>);
    messages[key] = {
      name: type,
      title: type,
      contentType: 'application/json',
      summary: `${type}: published by ${producersOf(type).join(', ') || 'nobody yet'}; consumed by ${consumersOf(type).join(', ') || 'the audit subscription only'}.`,
      headers: {
        type: 'object',
        description: 'Pub/Sub message attributes.',
        properties: { type: { const: type }, eventId: { type: 'string', format: 'uuid' }, correlationId: { type: 'string', format: 'uuid' } },
        required: ['type', 'eventId', 'correlationId'],
      },
      payload,
    };
    channels[key] = {
      address: `projects/${project}/topics/${type}`,
      description: `The Pub/Sub topic \`${type}\`. Delivery is at least once; every consumer recognises an event it has seen by \`metadata.eventId\`.`,
      messages: { [key]: { $ref: `#/components/messages/${key}` } },
    };
    for (const fn of producersOf(type)) {
      operations[`${fn}.publishes.${key}`] = {
        action: 'send',
        channel: { $ref: `#/channels/${key}` },
        summary: `${fn} publishes ${type}.`,
        messages: [{ $ref: `#/channels/${key}/messages/${key}` }],
      };
    }
    for (const fn of consumersOf(type)) {
      operations[`${fn}.consumes.${key}`] = {
        action: 'receive',
        channel: { $ref: `#/channels/${key}` },
        summary: `${fn} consumes ${type} through the push subscription \`${fn}.${type}\`.`,
        messages: [{ $ref: `#/channels/${key}/messages/${key}` }],
      };
    }
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Saga Commerce events',
      version: API_VERSION,
      description: 'The events the saga’s functions exchange through Pub/Sub, one topic per event type, derived from the topology table.',
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { messages },
  };
}
