import { randomUUID } from 'node:crypto';

/** A concrete path of an operation's template: each `{name}` from `values`, else a made-up id of its kind. */
export function concretePath(template: string, values: Record<string, string> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? (name === 'productId' ? 'p-00001' : name === 'imageId' ? 'img-1' : randomUUID()));
}
