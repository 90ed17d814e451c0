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

/**
 * Packages the bundles leave to node_modules, for Cloud Build to install beside them: the functions framework is the
 * runtime that loads the function (and `lib/http/serve.ts` patches its own copy of Express); OpenTelemetry's pg
 * instrumentation patches `pg` as it is required, which it cannot do to an inlined copy; swagger-ui-dist serves
 * files from its own folder.
 */
export const keptExternal: readonly string[] = ['@google-cloud/functions-framework', 'pg', 'swagger-ui-dist'];

/** Drivers that knex and pg require only when configured for them (other databases, pg-native): not installed, never loaded. */
const neverLoaded = ['better-sqlite3', 'mariadb', 'mysql', 'mysql2', 'oracledb', 'pg-native', 'pg-query-stream', 'sqlite3', 'tedious'];

/** Lets the CommonJS packages inlined into an ES module bundle use `require`, `__filename` and `__dirname`. */
const commonJsGlobals = [
  "import { createRequire as __createRequire } from 'node:module';",
  "import { fileURLToPath as __fileURLToPath } from 'node:url';",
  'const require = __createRequire(import.meta.url);',
  'const __filename = __fileURLToPath(import.meta.url);',
  "const __dirname = __fileURLToPath(new URL('.', import.meta.url));",
].join(' ');

/** The exact installed version of a package, from node_modules. */
const installedVersion = (pkg: string) => (JSON.parse(readFileSync(resolve(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;

/** The `package.json` a deploy uploads beside a bundle, naming the packages it left out that it imports. */
function manifestOf(name: string, imports: readonly { path: string; external?: boolean }[]) {
  // Other imports left out are packages that are not installed: never-loaded drivers, and optional requires that
  // esbuild leaves in place inside a try/catch (node-fetch's `encoding`).
  const packages = [...new Set(imports.filter((i) => i.external && !builtins.has(i.path)).map((i) => packageOf(i.path)))]
    .filter((pkg) => keptExternal.includes(pkg))
    .sort();
  return {
    name: `saga-commerce-${name}`,
    private: true,
    type: 'module',
    main: 'index.js',
    // Cloud Functions runs them on nodejs22 (scripts/deploy/plan.ts); they are built and tested on Node 20.
    engines: { node: '>=20' },
    dependencies: Object.fromEntries(packages.map((pkg) => [pkg, installedVersion(pkg)])),
  };
}

/**
 * Bundles entry points (function name → source) into `dist/functions/<name>/index.js`, each with our code and the
 * packages it uses in one file (a cold start reads one file instead of a few thousand), in one esbuild run that
 * parses the shared packages once, and writes beside each a `package.json` naming, at their exact installed
 * versions, only the packages left out (`keptExternal`) that the bundle imports: the source a deploy uploads, which
 * Cloud Build installs. Resolves to the bundles' paths, in the order given; `outdir` is for tests (it must lie inside
 * the repository, so the packages left out resolve from its node_modules).
 */
export async function bundleAll(
  entries: Record<string, string>,
  /** `packagesExternal` and `minify` build the variants the cold-start bench compares this build with. */
  options: { outdir?: string; packagesExternal?: boolean; minify?: boolean } = {},
): Promise<string[]> {
  const outdir = options.outdir ?? dirname(dirname(builtEntry('any')));
  const result = await build({
    entryPoints: Object.entries(entries).map(([name, entry]) => ({ in: entry, out: `${name}/index` })),
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: [...keptExternal, ...neverLoaded],
    ...(options.packagesExternal ? { packages: 'external' as const } : {}),
    ...(options.minify ? { minify: true } : {}),
    banner: { js: commonJsGlobals },
    // The maps name the files in node_modules without copying them: 6 MB a function instead of 22.
    sourcemap: true,
    sourcesContent: false,
    metafile: true,
    logLevel: 'warning',
  });
  return Object.keys(entries).map((name) => {
    const outfile = resolve(outdir, name, 'index.js');
    const output = Object.entries(result.metafile.outputs).find(([path]) => resolve(root, path) === outfile)?.[1];
    if (!output) throw new Error(`esbuild wrote no ${outfile}`);
    writeFileSync(resolve(dirname(outfile), 'package.json'), `${JSON.stringify(manifestOf(name, output.imports), null, 2)}\n`);
    return outfile;
  });
}

/** Bundles one entry point, as `bundleAll` does. */
export async function bundle(name: string, entry: string): Promise<string> {
  const [outfile] = await bundleAll({ [name]: entry });
  return outfile!;
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
  const [built] = await Promise.all([bundleAll(Object.fromEntries(functionNames.map((fn) => [fn, resolve(root, 'functions', fn, 'index.ts')]))), buildConsole()]);
  // esbuild keeps a service process alive for further builds; the stack does not need it.
  await stop();
  return built;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = performance.now();
  const built = await buildFunctions();
  console.log(`built ${built.length} functions into dist/functions (the console beside ${CONSOLE_HOST}) in ${Math.round(performance.now() - started)} ms`);
}
