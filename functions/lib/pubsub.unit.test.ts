import { describe, expect, it, vi } from 'vitest';

const made = vi.hoisted(() => ({ clients: 0, published: [] as string[] }));
vi.mock('@google-cloud/pubsub', () => ({
  PubSub: class {
    constructor() {
      made.clients++;
    }
    topic(name: string) {
      return { publishMessage: async () => void made.published.push(name) };
    }
  },
}));

const { publish, pubsub } = await import('./pubsub.ts');
const event = (type: string) => ({ type, data: {}, metadata: { eventId: `e-${type}`, correlationId: '00000000-0000-4000-8000-000000000000' } }) as never;

describe('the process-wide Pub/Sub client', () => {
  it('when two first uses come at once, then both get one client', async () => {
    expect(made.clients).toBe(0);
    const [a, b] = await Promise.all([pubsub(), pubsub()]);
    expect(a).toBe(b);
    expect(made.clients).toBe(1);
  });

  it('when two first publishes come at once, then both go out through that one client', async () => {
    await Promise.all([publish(event('order.placed')), publish(event('order.confirmed'))]);
    expect(made.clients).toBe(1);
    expect(made.published.sort()).toEqual(['order.confirmed', 'order.placed']);
  });
});
