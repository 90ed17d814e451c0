import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, stop } from 'esbuild';
import { functionNames } from '../schemas/index.ts';

const root = resolve(import.meta.dirname, '..');

/** Where the built entry point of a function lives. */
export const builtEntry = (name: string) => resolve(root, 'dist/functions', name, 'index.js');

/** Bundles one entry point into `dist/functions/<name>/index.js`: our code inlined, packages left to node_modules. */
export async function bundle(name: string, entry: string): Promise<string> {
  const outfile = builtEntry(name);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
  return outfile;
}

/** Ends esbuild's background service once no more bundles are wanted. */
export const stopBundler = stop;

/** Builds every function of the topology table. */
export async function buildFunctions(): Promise<string[]> {
  const built = await Promise.all(functionNames.map((fn) => bundle(fn, resolve(root, 'functions', fn, 'index.ts'))));
  // esbuild keeps a service process alive for further builds; the stack does not need it.
  await stop();
  return built;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = performance.now();
  const built = await buildFunctions();
  console.log(`built ${built.length} functions into dist/functions in ${Math.round(performance.now() - started)} ms`);
}
