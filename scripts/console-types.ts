import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import { openApiDocument } from '../schemas/openapi.ts';

/** Where the console's API types live (console/src/openapi-types.ts): generated from the OpenAPI document, never written by hand. */
export const CONSOLE_TYPES = resolve(import.meta.dirname, '../console/src/openapi-types.ts');

const banner = '// Generated from the OpenAPI document by `npm run docs` (openapi-typescript); do not edit.\n\n';

/** The console's types as they follow from the current OpenAPI document. */
export async function consoleTypes(): Promise<string> {
  const ast = await openapiTS(openApiDocument({ serverUrl: '/' }) as never);
  return `${banner}${astToString(ast)}`;
}

/** Writes console/src/api.d.ts. */
export async function writeConsoleTypes(): Promise<void> {
  writeFileSync(CONSOLE_TYPES, await consoleTypes());
}

/** Whether console/src/api.d.ts is what the current OpenAPI document gives. */
export const consoleTypesCurrent = async () => readFileSync(CONSOLE_TYPES, 'utf8') === (await consoleTypes());
