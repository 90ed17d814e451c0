import { randomUUID } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';

const NAMESPACE = '4f3c2b1a-5d6e-4f70-8a9b-0c1d2e3f4a5b';

/** A deterministic UUID for `parts`: the same inputs always give the same id, so retries and republishes reuse it. */
export const stableId = (...parts: string[]) => uuidv5(parts.join('/'), NAMESPACE);

/** A fresh random UUID. */
export const newId = () => randomUUID();
