import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderDeployDoc, renderReadme } from './docs.ts';

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
});
