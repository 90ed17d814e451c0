import { z } from 'zod';
import { eventTypes } from './events.ts';
import { functionNames } from './topology.ts';

/** Where a dead letter stands: waiting for an operator, sent again, or put aside with a reason. */
export const DeadLetterStatus = z.enum(['open', 'replayed', 'discarded']);
export type DeadLetterStatus = z.infer<typeof DeadLetterStatus>;

/** Why a message was given up: it failed on every attempt, it can never be read, or it names no order of ours. */
export const DeadLetterCause = z.enum(['max_attempts', 'poison', 'unknown_order']);
export type DeadLetterCause = z.infer<typeof DeadLetterCause>;

/** A dead-lettered message as an operator sees it. */
export const DeadLetterView = z.object({
  id: z.uuid(),
  function: z.string(),
  topic: z.string().nullable(),
  cause: DeadLetterCause,
  eventType: z.string().nullable(),
  eventId: z.string().nullable(),
  orderId: z.string().nullable(),
  attempts: z.number().int().nullable(),
  lastError: z.string().nullable(),
  status: DeadLetterStatus,
  firstFailedAt: z.iso.datetime().nullable(),
  deadLetteredAt: z.iso.datetime(),
  resolution: z.object({ by: z.string(), reason: z.string().nullable(), at: z.iso.datetime() }).nullable(),
  /** The message as it was published: its data (parsed when it is JSON) and attributes. */
  message: z.object({ data: z.unknown(), attributes: z.record(z.string(), z.string()) }),
}).meta({ id: 'DeadLetter' });
export type DeadLetterView = z.infer<typeof DeadLetterView>;

/** Query of `GET /v1/admin/dead-letters`. */
export const ListDeadLettersQuery = z.strictObject({
  status: DeadLetterStatus.default('open'),
  function: z.enum(functionNames).optional(),
  eventType: z.enum(eventTypes).optional(),
  orderId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(512).optional(),
});

/** Body of `POST /v1/admin/dead-letters/{id}/discard`. */
export const DiscardDeadLetterRequest = z.strictObject({ reason: z.string().trim().min(1).max(500) });
