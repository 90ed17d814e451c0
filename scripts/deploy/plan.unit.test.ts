import { describe, expect, it } from 'vitest';
import { capacityOf, functionNames, functions, subscriptions } from '../../schemas/index.ts';
import { connectionBudget, deployPlan, functionUrl, runtimeOf, shellLine, type DeployInputs } from './plan.ts';

const inputs: DeployInputs = {
  project: 'shop-prod',
  region: 'europe-west1',
  projectNumber: '123456789012',
  only: null,
  bootstrap: false,
  sql: { instance: 'saga', database: 'saga', tier: 'db-custom-1-3840', maxConnections: 100 },
  bucket: 'shop-prod-images',
  domain: 'api.shop.example',
  redis: null,
  mailFrom: 'Shop <orders@shop.example>',
  smsProviderUrl: 'https://sms.example.com',
  sourceRoot: 'dist/functions',
  secrets: { payments: 'stripe-api-key', smtp: 'smtp-url', sms: 'sms-api-key' },
  migrator: null,
};
const lines = (over: Partial<DeployInputs> = {}) => deployPlan({ ...inputs, ...over }).commands.map((c) => shellLine(c.argv));
const flag = (line: string, name: string) => line.split(' ').find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

describe('deployPlan', () => {
  it('when planned, then every line is one complete gcloud command for the project, and none repeats', () => {
    const plan = lines();
    for (const line of plan) expect(line).toMatch(/^gcloud .* --project shop-prod$/);
    expect(new Set(plan).size).toBe(plan.length);
  });

  it('when planned, then every function is deployed with its own account, its capacity, and ingress by its kind', () => {
    for (const fn of functionNames) {
      const deploy = lines().find((l) => l.startsWith(`gcloud functions deploy ${fn} `))!;
      const capacity = capacityOf(fn);
      expect(flag(deploy, 'service-account')).toBe(`${fn}-sa@shop-prod.iam.gserviceaccount.com`);
      expect([flag(deploy, 'memory'), flag(deploy, 'max-instances'), flag(deploy, 'concurrency')]).toEqual([capacity.memory, String(capacity.maxInstances), String(capacity.concurrency)]);
      expect(flag(deploy, 'ingress-settings')).toBe(functions[fn].trigger === 'http' ? 'internal-and-gclb' : 'internal-only');
    }
    expect(flag(lines({ domain: null }).find((l) => l.startsWith('gcloud functions deploy orders-api '))!, 'ingress-settings')).toBe('all');
  });

  it('when a function uses PostgreSQL or a provider, then it gets the instance, its IAM user and pool, and exactly its secrets', () => {
    const orders = runtimeOf(inputs, 'orders-api');
    expect(orders.env).toMatchObject({ INSTANCE_CONNECTION_NAME: 'shop-prod:europe-west1:saga', DB_USER: 'orders-api-sa@shop-prod.iam', DB_POOL_MAX: '5', AUTH_AUDIENCE: 'shop-prod' });
    expect(orders.secrets).toEqual({});
    expect(runtimeOf(inputs, 'notification-send').secrets).toEqual({ SMTP_URL: 'smtp-url', SMS_PROVIDER_API_KEY: 'sms-api-key' });
    expect(runtimeOf(inputs, 'inventory-reserve').env).not.toHaveProperty('INSTANCE_CONNECTION_NAME');
    const deploy = lines().find((l) => l.startsWith('gcloud functions deploy payment-capture '))!;
    expect(flag(deploy, 'set-secrets')).toBe('PAYMENT_PROVIDER_API_KEY=stripe-api-key:latest');
  });

  it('when a function keeps the catalog search snapshot, then it gets the private snapshot bucket and object access there only', () => {
    expect(runtimeOf(inputs, 'catalog-api').env).toMatchObject({ CATALOG_SNAPSHOT_BUCKET: 'shop-prod-catalog', IMAGES_BUCKET: 'shop-prod-images' });
    expect(runtimeOf(inputs, 'orders-api').env).not.toHaveProperty('CATALOG_SNAPSHOT_BUCKET');
    expect(runtimeOf({ ...inputs, catalogBucket: 'shop-search' }, 'catalog-api').env.CATALOG_SNAPSHOT_BUCKET).toBe('shop-search');
    const grants = lines().filter((l) => l.startsWith('gcloud storage buckets add-iam-policy-binding gs://shop-prod-catalog '));
    expect(grants).toEqual([expect.stringContaining('--member=serviceAccount:catalog-api-sa@shop-prod.iam.gserviceaccount.com --role=roles/storage.objectUser')]);
    expect(lines({ bootstrap: true })).toContainEqual(expect.stringMatching(/^gcloud storage buckets create gs:\/\/shop-prod-catalog .*--public-access-prevention/));
  });

  it('when planned, then every subscription of the table is pushed to its function with its delivery policy', () => {
    const plan = lines();
    for (const s of subscriptions()) {
      const create = plan.find((l) => l.startsWith(`gcloud pubsub subscriptions create ${s.name} `))!;
      expect(flag(create, 'push-endpoint')).toBe(`${functionUrl(inputs, s.function)}/projects/shop-prod/topics/${s.topic}`);
      expect(flag(create, 'push-auth-token-audience')).toBe(`https://${s.function}-123456789012.europe-west1.run.app`);
      expect(flag(create, 'ack-deadline')).toBe(String(s.delivery.ackDeadlineSeconds));
      expect(flag(create, 'dead-letter-topic')).toBe(s.deadLetterTopic ? `projects/shop-prod/topics/${s.deadLetterTopic}` : undefined);
    }
  });

  it('when only some functions are deployed, then only their resources are, beside the shared ones', () => {
    const plan = lines({ only: ['payment-capture'] });
    expect(plan.filter((l) => l.startsWith('gcloud functions deploy')).map((l) => l.split(' ')[3])).toEqual(['payment-capture']);
    expect(plan.some((l) => l.includes('payment-capture-push@'))).toBe(true);
    expect(plan.some((l) => l.startsWith('gcloud pubsub subscriptions create payment-capture.inventory.reserved '))).toBe(true);
    expect(plan.some((l) => l.startsWith('gcloud pubsub subscriptions create order-confirm.'))).toBe(false);
    expect(plan.some((l) => l.startsWith('gcloud pubsub topics create '))).toBe(true);
  });

  it('when the project number is unknown, then the plan says PROJECT_NUMBER where it is needed', () => {
    const plan = lines({ projectNumber: null }).join('\n');
    expect(plan).toContain('https://payment-authorize-PROJECT_NUMBER.europe-west1.run.app');
    expect(plan).toContain('service-PROJECT_NUMBER@gcp-sa-pubsub.iam.gserviceaccount.com');
  });

  it('when the functions need PostgreSQL, then the migration runs before any function is updated, granting each its tables', () => {
    const { steps } = deployPlan(inputs);
    expect(steps.map((s) => s.before)).toEqual(['functions', 'functions', 'functions', 'functions']);
    expect(steps.slice(0, 3).map((s) => s.command.find((a) => a.startsWith('--secret='))).sort()).toEqual(['--secret=sms-api-key', '--secret=smtp-url', '--secret=stripe-api-key']);
    expect(steps[3]!.command.join(' ')).toMatch(/^npm run migrate -- --instance shop-prod:europe-west1:saga --database saga --grant .*orders-api-sa@shop-prod\.iam/);
  });

  it('when the functions could open more PostgreSQL connections than the instance allows, then the plan is refused naming the numbers to change', () => {
    const { total } = connectionBudget(inputs);
    expect(() => deployPlan({ ...inputs, sql: { ...inputs.sql, maxConnections: total } })).toThrow(/may open \d+ PostgreSQL connections.*allows \d+.*maxInstances or dbPool.*orders-api 5 instances × 5 connections = 25/s);
  });
});
