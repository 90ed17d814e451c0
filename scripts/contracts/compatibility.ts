/** A change that would break a client written against the published contract. */
export interface Breaking {
  where: string;
  what: string;
}

type Json = Record<string, unknown>;
type Schema = Json | boolean;
/** Which way values flow: a client sends them (`in`: must not narrow) or reads them (`out`: must not lose or widen). */
type Direction = 'in' | 'out';

/** Follows local `$ref`s (`#/components/schemas/X`, `#/$defs/X`) within a document. */
export function deref(schema: Schema | undefined, root: Json): Schema | undefined {
  let s = schema;
  for (let hops = 0; s && typeof s === 'object' && typeof s.$ref === 'string' && hops < 20; hops++) {
    const ref: string = s.$ref;
    if (!ref.startsWith('#/')) return s;
    s = ref
      .slice(2)
      .split('/')
      .reduce<unknown>((node, key) => (node as Json | undefined)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], root) as Schema | undefined;
  }
  return s;
}

/** The alternatives a schema allows (`anyOf`/`oneOf` flattened). */
function variants(schema: Schema | undefined, root: Json): Json[] {
  const s = deref(schema, root);
  if (s === undefined || s === true) return [{}];
  if (s === false) return [];
  const alternatives = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (alternatives) return alternatives.flatMap((a) => variants(a, root));
  return [s];
}

const jsonTypeOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value);

/** The JSON types a schema variant allows; `any` when it says nothing. */
function typesOf(v: Json): string[] {
  if ('const' in v) return [jsonTypeOf(v.const)];
  if (Array.isArray(v.enum)) return [...new Set(v.enum.map(jsonTypeOf))];
  if (v.type === undefined) return ['any'];
  const types = (Array.isArray(v.type) ? v.type : [v.type]) as string[];
  return types.includes('number') ? [...types, 'integer'] : types;
}

/** Values a variant is limited to, when it is an enum or a const. */
const valuesOf = (v: Json): unknown[] | null => ('const' in v ? [v.const] : Array.isArray(v.enum) ? v.enum : null);

const covers = (types: string[], type: string) => types.includes('any') || types.includes(type);

/** The variant of `list` that holds values of `type`, if any. */
const variantFor = (list: Json[], type: string) => list.find((v) => covers(typesOf(v), type));

/** Compares one schema of the published contract with its current form. */
export function compareSchemas(old: Schema | undefined, cur: Schema | undefined, direction: Direction, where: string, roots: { old: Json; cur: Json }): Breaking[] {
  const found: Breaking[] = [];
  const oldVariants = variants(old, roots.old);
  const curVariants = variants(cur, roots.cur);
  const oldTypes = [...new Set(oldVariants.flatMap(typesOf))];
  const curTypes = [...new Set(curVariants.flatMap(typesOf))];
  const [wider, narrower] = direction === 'in' ? [oldTypes, curTypes] : [curTypes, oldTypes];
  for (const type of wider) {
    if (type === 'any' || covers(narrower, type)) continue;
    found.push({ where, what: direction === 'in' ? `no longer takes ${type} values` : `may now be ${type}, which clients have never seen here` });
  }
  for (const type of oldTypes.filter((t) => covers(curTypes, t))) {
    const before = variantFor(oldVariants, type);
    const after = variantFor(curVariants, type);
    if (!before || !after) continue;
    found.push(...compareVariant(before, after, direction, where, roots));
  }
  return found;
}

function compareVariant(old: Json, cur: Json, direction: Direction, where: string, roots: { old: Json; cur: Json }): Breaking[] {
  const found: Breaking[] = [];
  if (direction === 'in') {
    const oldValues = valuesOf(old);
    const curValues = valuesOf(cur);
    if (curValues && (!oldValues || oldValues.some((v) => !curValues.some((c) => Object.is(c, v))))) {
      const lost = oldValues ? oldValues.filter((v) => !curValues.includes(v)) : ['anything else'];
      found.push({ where, what: `no longer takes ${lost.map((v) => JSON.stringify(v)).join(', ')}` });
    }
    for (const [key, tighter] of [['minimum', (a: number, b: number) => b > a], ['exclusiveMinimum', (a: number, b: number) => b > a], ['minLength', (a: number, b: number) => b > a], ['minItems', (a: number, b: number) => b > a], ['maximum', (a: number, b: number) => b < a], ['exclusiveMaximum', (a: number, b: number) => b < a], ['maxLength', (a: number, b: number) => b < a], ['maxItems', (a: number, b: number) => b < a]] as const) {
      const a = old[key] as number | undefined;
      const b = cur[key] as number | undefined;
      if (b !== undefined && (a === undefined || tighter(a, b))) found.push({ where, what: `${key} tightened from ${a ?? 'none'} to ${b}` });
    }
    if (cur.pattern !== undefined && cur.pattern !== old.pattern) found.push({ where, what: `pattern changed to ${String(cur.pattern)}` });
    if (cur.format !== undefined && cur.format !== old.format) found.push({ where, what: `format changed to ${String(cur.format)}` });
  } else if ('const' in old && !('const' in cur && Object.is(cur.const, old.const))) {
    found.push({ where, what: `was always ${JSON.stringify(old.const)}, now may be something else` });
  }
  const oldProps = (old.properties ?? {}) as Record<string, Schema>;
  const curProps = (cur.properties ?? {}) as Record<string, Schema>;
  const oldRequired = new Set((old.required ?? []) as string[]);
  const curRequired = new Set((cur.required ?? []) as string[]);
  for (const name of Object.keys(oldProps)) {
    if (!(name in curProps)) {
      if (direction === 'out') found.push({ where: `${where}.${name}`, what: 'field removed' });
      else if (cur.additionalProperties === false) found.push({ where: `${where}.${name}`, what: 'field removed: sending it is now refused' });
      continue;
    }
    if (direction === 'out' && oldRequired.has(name) && !curRequired.has(name)) found.push({ where: `${where}.${name}`, what: 'may now be missing' });
    found.push(...compareSchemas(oldProps[name], curProps[name], direction, `${where}.${name}`, roots));
  }
  if (direction === 'in') {
    for (const name of curRequired) if (!oldRequired.has(name)) found.push({ where: `${where}.${name}`, what: 'new required input' });
  }
  if (old.items !== undefined || cur.items !== undefined) found.push(...compareSchemas(old.items as Schema, cur.items as Schema, direction, `${where}[]`, roots));
  return found;
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Schema;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const major = (version: unknown) => Number(String(version ?? '0').split('.')[0]);

/**
 * Changes between a published OpenAPI document and the current one that would break its clients: removed
 * operations, new required inputs, narrowed or removed request fields, parameters and enum values, removed or
 * loosened response fields. Added operations, optional inputs, response fields and enum values are fine: clients
 * ignore fields and values they do not know (docs/api.md says so).
 */
export function breakingHttpChanges(published: Json, current: Json): Breaking[] {
  const found: Breaking[] = [];
  const roots = { old: published, cur: current };
  const oldPaths = (published.paths ?? {}) as Record<string, Json>;
  const curPaths = (current.paths ?? {}) as Record<string, Json>;
  for (const [path, item] of Object.entries(oldPaths)) {
    for (const method of METHODS) {
      const before = item[method] as Json | undefined;
      if (!before) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const after = curPaths[path]?.[method] as Json | undefined;
      if (!after) {
        found.push({ where, what: `operation ${String(before.operationId)} removed` });
        continue;
      }
      const params = (op: Json, root: Json) => ((op.parameters ?? []) as Schema[]).map((p) => deref(p, root) as unknown as Parameter);
      const oldParams = params(before, published);
      const curParams = params(after, current);
      for (const p of curParams) {
        const was = oldParams.find((o) => o.name === p.name && o.in === p.in);
        if (p.required && !was?.required) found.push({ where: `${where} ${p.in} ${p.name}`, what: 'new required input' });
      }
      for (const p of oldParams) {
        const now = curParams.find((c) => c.name === p.name && c.in === p.in);
        if (!now) {
          if (p.in !== 'header') found.push({ where: `${where} ${p.in} ${p.name}`, what: 'parameter removed: sending it is now refused' });
          continue;
        }
        found.push(...compareSchemas(p.schema, now.schema, 'in', `${where} ${p.in} ${p.name}`, roots));
      }
      const oldBody = deref(before.requestBody as Schema, published) as Json | undefined;
      const curBody = deref(after.requestBody as Schema, current) as Json | undefined;
      if (curBody?.required && !oldBody?.required) found.push({ where: `${where} body`, what: 'a body is now required' });
      for (const [type, media] of Object.entries((oldBody?.content ?? {}) as Record<string, Json>)) {
        const now = ((curBody?.content ?? {}) as Record<string, Json>)[type];
        if (!now) found.push({ where: `${where} body`, what: `no longer takes ${type}` });
        else found.push(...compareSchemas(media.schema as Schema, now.schema as Schema, 'in', `${where} body`, roots));
      }
      const oldResponses = (before.responses ?? {}) as Record<string, Json>;
      const curResponses = (after.responses ?? {}) as Record<string, Json>;
      for (const [status, response] of Object.entries(oldResponses)) {
        if (!status.startsWith('2')) continue;
        const now = curResponses[status];
        if (!now) {
          found.push({ where: `${where} ${status}`, what: 'response removed' });
          continue;
        }
        for (const [type, media] of Object.entries((response.content ?? {}) as Record<string, Json>)) {
          const nowMedia = ((now.content ?? {}) as Record<string, Json>)[type];
          if (!nowMedia) found.push({ where: `${where} ${status}`, what: `no longer answers ${type}` });
          else found.push(...compareSchemas(media.schema as Schema, nowMedia.schema as Schema, 'out', `${where} ${status}`, roots));
        }
      }
    }
  }
  return found;
}

/** Changes to the event schemas that would break a consumer: a removed event type, removed or loosened fields. */
export function breakingEventChanges(published: Record<string, Json>, current: Record<string, Json>): Breaking[] {
  return Object.entries(published).flatMap(([type, schema]) =>
    current[type] ? compareSchemas(schema, current[type], 'out', type, { old: schema, cur: current[type]! }) : [{ where: type, what: 'event type removed' }],
  );
}

/** What the compatibility gate decides: breaking changes are allowed only with a raised major version. */
export function gate(published: { version: string; breaking: Breaking[] }, currentVersion: string): { ok: boolean; message: string } {
  if (published.breaking.length === 0) return { ok: true, message: 'compatible with the published contract' };
  const list = published.breaking.map((b) => `  - ${b.where}: ${b.what}`).join('\n');
  if (major(currentVersion) > major(published.version)) {
    return { ok: true, message: `breaking changes, allowed by the new major version ${currentVersion} (published ${published.version}):\n${list}` };
  }
  return {
    ok: false,
    message:
      `These changes would break clients of the published contract (version ${published.version}):\n${list}\n` +
      'Make them compatible (keep the field, make the input optional, keep the value), or raise the major API_VERSION in schemas/operations.ts and run `npm run contracts -- --publish`.',
  };
}
