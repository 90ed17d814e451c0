import fc from 'fast-check';
import { deref as followRef } from '../../scripts/contracts/compatibility.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Values worth trying for a field of this name besides generated ones: ids that exist, methods the simulator knows. */
export type Hints = Record<string, readonly unknown[]>;

/** A schema of the OpenAPI document with its `$ref` followed (a `true` schema, or none, is `{}`). */
export const deref = (schema: Json | undefined, doc: Json): Json => {
  const s = followRef(schema, doc);
  return s && typeof s === 'object' ? s : {};
};

/**
 * An arbitrary of values a JSON Schema (as the OpenAPI document writes it) accepts: types, enums, bounds,
 * patterns, formats, required and optional properties, arrays, unions. Named fields draw from `hints` half the time.
 */
export function valid(schema: Json | undefined, doc: Json, hints: Hints = {}, name = ''): fc.Arbitrary<unknown> {
  const s = deref(schema, doc);
  const hinted = hints[name];
  const own = build(s, doc, hints);
  return hinted?.length ? fc.oneof(fc.constantFrom(...hinted), own) : own;
}

function build(s: Json, doc: Json, hints: Hints): fc.Arbitrary<unknown> {
  if ('const' in s) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  const union = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (union) return fc.oneof(...union.map((u) => valid(u, doc, hints)));
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string': {
      if (s.format === 'uuid') return fc.uuid();
      if (s.format === 'email') return fc.emailAddress().filter((e) => e.length <= (s.maxLength ?? 254));
      if (s.format === 'date-time') return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
      if (s.format === 'binary') return fc.constant('');
      if (typeof s.pattern === 'string') return fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length >= (s.minLength ?? 0) && v.length <= (s.maxLength ?? 10_000));
      return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 40, 200) }).filter((v) => v.trim().length >= (s.minLength ?? 0));
    }
    case 'integer':
    case 'number': {
      const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1_000_000);
      const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 1_000_000);
      return fc.integer({ min: Math.max(min, Number.MIN_SAFE_INTEGER), max: Math.min(max, Number.MAX_SAFE_INTEGER) });
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(valid(s.items, doc, hints), { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 5, 5) });
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, Json>;
      const required = new Set((s.required ?? []) as string[]);
      const record = Object.fromEntries(Object.entries(props).map(([key, sub]) => [key, valid(sub, doc, hints, key)]));
      return fc.record(record, { requiredKeys: Object.keys(props).filter((k) => required.has(k)) });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** An arbitrary of values a schema probably refuses: other types, missing required fields, unknown fields, junk. */
export function invalid(schema: Json | undefined, doc: Json, hints: Hints = {}): fc.Arbitrary<unknown> {
  const s = deref(schema, doc);
  const junk = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ maxLength: 300 }), fc.constantFrom(null, -1, 1e300, '', [], {}, '\u0000', '💥'.repeat(50)));
  if (s.type !== 'object') return junk;
  const whole = valid(s, doc, hints) as fc.Arbitrary<Json>;
  const required = (s.required ?? []) as string[];
  return fc.oneof(
    junk,
    whole.chain((v) => fc.record({ key: fc.string({ minLength: 1, maxLength: 12 }), value: fc.jsonValue({ maxDepth: 1 }) }).map(({ key, value }) => ({ ...v, [`x_${key}`]: value }))),
    ...(required.length ? [whole.chain((v) => fc.constantFrom(...required).map((key) => Object.fromEntries(Object.entries(v).filter(([k]) => k !== key))))] : []),
    whole.chain((v) => fc.constantFrom(...Object.keys(v).concat('items')).chain((key) => junk.map((value) => ({ ...v, [key]: value })))),
  );
}
