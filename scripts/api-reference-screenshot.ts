import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { launchBrowser } from './browser.ts';
import { devStackFile, type DevStackInfo } from './stack/dev-stack-file.ts';

const { values } = parseArgs({ options: { url: { type: 'string' }, out: { type: 'string', default: 'docs/api-reference.png' } } });
const api = values.url ?? (existsSync(devStackFile) ? (JSON.parse(readFileSync(devStackFile, 'utf8')) as DevStackInfo).api : null);
if (!api) {
  console.error('No API to look at: start the stack with `npm run dev` (or pass --url <API base URL>).');
  process.exit(1);
}
const out = resolve(import.meta.dirname, '..', values.out!);
console.log(`opening ${api}/docs in headless Chromium …`);
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${api}/docs`);
  await page.waitForSelector('.opblock-summary', { timeout: 30_000 });
  // Open the order operation, so the picture shows a schema and its examples as well as the list.
  await page.locator('.opblock-summary', { hasText: 'Place an order' }).first().click();
  await page.waitForSelector('.opblock.is-open .responses-wrapper');
  await page.screenshot({ path: out, fullPage: false });
  console.log(`saved ${out} (${(await page.locator('.opblock-summary').count())} operations rendered)`);
} finally {
  await browser.close();
}
