import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { operationIds, operations } from '../../schemas/index.ts';
import { launchBrowser } from '../../scripts/browser.ts';
import { stack } from '../support/saga.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => browser?.close());

describe('the API reference page', () => {
  it('when /docs is opened in a browser, then it renders every operation from the OpenAPI document with nothing fetched from another host', async () => {
    const page = await browser.newPage();
    const hosts = new Set<string>();
    page.on('request', (request) => hosts.add(new URL(request.url()).host));
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${stack.api}/docs`);
    await page.waitForSelector('.opblock-summary', { timeout: 20_000 });
    const summaries = await page.locator('.opblock-summary-description').allInnerTexts();
    expect(summaries.sort()).toEqual(operationIds.map((id) => operations[id].summary).sort());
    expect(await page.locator('.info .title').innerText()).toContain('Saga Commerce API');
    expect([...hosts]).toEqual([new URL(stack.api).host]);
    expect(errors).toEqual([]);
  });
});
