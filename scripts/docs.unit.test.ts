import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { consoleTypesCurrent } from './console-types.ts';
import { renderDeployDoc, renderReadme } from './docs.ts';
import { URL_MAP_FILE, urlMapYaml } from './deploy/plan.ts';

describe('README generated sections', () => {
  it('when the topology, configuration or problem tables change, then the README has been regenerated (npm run docs)', () => {
    const readme = readFileSync(resolve(import.meta.dirname, '../README.md'), 'utf8');
    expect(renderReadme(readme)).toBe(readme);
  });

  it('when the topology or the deploy plan change, then docs/deploy.md has been regenerated (npm run docs)', () => {
    const doc = readFileSync(resolve(import.meta.dirname, '../docs/deploy.md'), 'utf8');
    expect(doc).toContain('<!-- deploy-functions:start -->');
    expect(renderDeployDoc(doc)).toBe(doc);
  });

  it('when the OpenAPI document changes, then the console\'s API types have been regenerated (npm run docs)', async () => {
    expect(await consoleTypesCurrent()).toBe(true);
  });

  it('when the HTTP functions or their routes change, then the load balancer\'s URL map has been regenerated (npm run docs)', () => {
    expect(readFileSync(resolve(import.meta.dirname, '..', URL_MAP_FILE), 'utf8')).toBe(urlMapYaml());
  });
});
