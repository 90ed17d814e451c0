import { z } from 'zod';
import { eventSchemas, type EventData, type EventType } from './events.ts';

/** Envelope metadata; `eventId` stays the same across redeliveries and republishes of one event. */
export const Metadata = z.object({
  eventId: z.uuid(),
  occurredAt: z.iso.datetime(),
  correlationId: z.uuid(),
  causationId: z.uuid().nullable(),
  version: z.literal(1),
});
export type Metadata = z.infer<typeof Metadata>;

/** A message on the bus: `{ type, data, metadata }`. */
export type Envelope<T extends EventType = EventType> = {
  [K in T]: { type: K; data: EventData<K>; metadata: Metadata };
}[T];

const envelopes = Object.fromEntries(
  Object.entries(eventSchemas).map(([type, data]) => [type, z.object({ type: z.literal(type), data, metadata: Metadata })]),
) as unknown as Record<EventType, z.ZodType>;

/** Parses an unknown value as an envelope of one of `types`; the result names what is wrong. */
export function parseEnvelope<T extends EventType>(
  value: unknown,
  types: readonly T[],
): { ok: true; envelope: Envelope<T> } | { ok: false; error: string } {
  const type = (value as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !(types as readonly string[]).includes(type)) {
    return { ok: false, error: `type ${JSON.stringify(type)} is not one of ${types.join(', ')}` };
  }
  const result = envelopes[type as T].safeParse(value);
  if (!result.success) return { ok: false, error: z.prettifyError(result.error) };
  return { ok: true, envelope: result.data as Envelope<T> };
}
