import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, stop } from 'esbuild';
import { functionNames } from '../schemas/index.ts';

const root = resolve(import.meta.dirname, '..');

/** Where the built entry point of a function lives. */
export const builtEntry = (name: string) => resolve(root, 'dist/functions', name, 'index.js');

/** The package a bare import names (`@google-cloud/pubsub/build/x` → `@google-cloud/pubsub`). */
export const packageOf = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** The exact installed version of a package, from node_modules. */
const installedVersion = (pkg: string) => (JSON.parse(readFileSync(resolve(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * Bundles one entry point into `dist/functions/<name>/index.js` (our code inlined, packages left to node_modules) and
 * writes beside it a `package.json` naming, at their exact installed versions, only the packages that bundle imports:
 * the source a deploy uploads, which Cloud Build installs.
 */
export async function bundle(name: string, entry: string): Promise<string> {
  const outfile = builtEntry(name);
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
  });
  const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports).filter((i) => i.external && !builtins.has(i.path));
  const packages = [...new Set(imports.map((i) => packageOf(i.path)))].sort();
  const manifest = {
    name: `saga-commerce-${name}`,
    private: true,
    type: 'module',
    main: 'index.js',
    // Cloud Functions runs them on nodejs22 (scripts/deploy/plan.ts); they are built and tested on Node 20.
    engines: { node: '>=20' },
    dependencies: Object.fromEntries(packages.map((pkg) => [pkg, installedVersion(pkg)])),
  };
  writeFileSync(resolve(dirname(outfile), 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return outfile;
}

/** Ends esbuild's background service once no more bundles are wanted. */
export const stopBundler = stop;

/** The function that serves the saga console's files, from `console/` beside its bundle. */
const CONSOLE_HOST = 'api-docs';

/** Builds the saga console with Vite (in a process of its own: a test runner has a Vite of its own loaded). */
export async function buildConsole(outDir = resolve(dirname(builtEntry(CONSOLE_HOST)), 'console')): Promise<string> {
  const vite = resolve(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin/vite.js');
  const result = await new Promise<{ code: number; output: string }>((done) => {
    const child = spawn(process.execPath, [vite, 'build', '--config', resolve(root, 'console/vite.config.ts'), '--outDir', outDir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => done({ code: code ?? 1, output }));
  });
  if (result.code !== 0) throw new Error(`the console did not build (npm run console:build shows why):\n${result.output.trim().split('\n').slice(-10).join('\n')}`);
  return outDir;
}

/** Builds every function of the topology table, and the console beside the function that serves it. */
export async function buildFunctions(): Promise<string[]> {
  const built = await Promise.all([...functionNames.map((fn) => bundle(fn, resolve(root, 'functions', fn, 'index.ts'))), buildConsole()]);
  // esbuild keeps a service process alive for further builds; the stack does not need it.
  await stop();
  return built.slice(0, functionNames.length);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = performance.now();
  const built = await buildFunctions();
  console.log(`built ${built.length} functions into dist/functions (the console beside ${CONSOLE_HOST}) in ${Math.round(performance.now() - started)} ms`);
}
