import { describe, expect, it } from 'vitest';
import { currentContracts } from '../contracts.ts';
import { breakingEventChanges, breakingHttpChanges, gate } from './compatibility.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The current contracts, and a copy changed by `edit`. */
function changed(edit: (doc: Json, events: Json) => void) {
  const published = currentContracts();
  const copy = structuredClone({ openapi: published.openapi, events: published.events }) as { openapi: Json; events: Json };
  edit(copy.openapi, copy.events);
  return [...breakingHttpChanges(published.openapi, copy.openapi), ...breakingEventChanges(published.events, copy.events)];
}

const schemas = (doc: Json) => doc.components.schemas as Json;
const operation = (doc: Json, path: string, method: string) => doc.paths[path][method] as Json;
const queryParam = (doc: Json, path: string, name: string) => (operation(doc, path, 'get').parameters as Json[]).find((p) => p.name === name)!;

describe('the compatibility gate', () => {
  it('when nothing changed, then nothing breaks', () => {
    expect(changed(() => undefined)).toEqual([]);
  });

  it('when a response field is removed or renamed, then it breaks the clients that read it', () => {
    expect(changed((doc) => delete schemas(doc).OrderAccepted.properties.createdAt)).toContainEqual({ where: 'POST /v1/orders 202.createdAt', what: 'field removed' });
    const renamed = changed((doc) => {
      const props = schemas(doc).OrderOutput?.properties ?? schemas(doc).Order.properties;
      props.placedAt = props.createdAt;
      delete props.createdAt;
    });
    expect(renamed).toContainEqual({ where: 'GET /v1/orders/{orderId} 200.createdAt', what: 'field removed' });
  });

  it('when an operation is removed, then it breaks', () => {
    expect(changed((doc) => delete doc.paths['/v1/orders/{orderId}'].get)).toEqual([{ where: 'GET /v1/orders/{orderId}', what: 'operation getOrder removed' }]);
  });

  it('when a request type is narrowed, then it breaks the clients that send what it took', () => {
    const narrowed = changed((doc) => {
      const line = schemas(doc).PlaceOrder.properties.items.items;
      line.properties.quantity.maximum = 10;
      line.properties.quantity.type = 'string';
    });
    expect(narrowed).toContainEqual({ where: 'POST /v1/orders body.items[].quantity', what: 'no longer takes integer values' });
    expect(changed((doc) => (queryParam(doc, '/v1/products', 'limit').schema.maximum = 50))).toContainEqual({
      where: 'GET /v1/products query limit',
      what: 'maximum tightened from 100 to 50',
    });
  });

  it('when a new input is required, then it breaks the clients that do not send it', () => {
    const required = changed((doc) => {
      const body = schemas(doc).PlaceOrder;
      body.properties.coupon = { type: 'string' };
      body.required.push('coupon');
    });
    expect(required).toEqual([{ where: 'POST /v1/orders body.coupon', what: 'new required input' }]);
    expect(changed((doc) => (queryParam(doc, '/v1/products', 'q').required = true))).toEqual([{ where: 'GET /v1/products query q', what: 'new required input' }]);
  });

  it('when an enum value is removed from an input, then it breaks the clients that send it', () => {
    const removed = changed((doc) => {
      const sort = queryParam(doc, '/v1/products', 'sort').schema;
      sort.enum = sort.enum.filter((v: string) => v !== 'newest');
    });
    expect(removed).toEqual([{ where: 'GET /v1/products query sort', what: 'no longer takes "newest"' }]);
  });

  it('when a response field may now be null or missing, or an event loses a field, then it breaks', () => {
    const loosened = changed((doc, events) => {
      const accepted = schemas(doc).OrderAccepted;
      accepted.properties.id = { anyOf: [accepted.properties.id, { type: 'null' }] };
      accepted.required = accepted.required.filter((r: string) => r !== 'total');
      delete events['order.placed'].properties.data.properties.customerId;
    });
    expect(loosened).toEqual(
      expect.arrayContaining([
        { where: 'POST /v1/orders 202.id', what: 'may now be null, which clients have never seen here' },
        { where: 'POST /v1/orders 202.total', what: 'may now be missing' },
        { where: 'order.placed.data.customerId', what: 'field removed' },
      ]),
    );
  });

  it('when only additions are made (an operation, an optional input, a response field, an enum value), then nothing breaks', () => {
    const added = changed((doc, events) => {
      doc.paths['/v1/wishlists'] = { get: { operationId: 'listWishlists', responses: { 200: { description: 'ok' } } } };
      schemas(doc).PlaceOrder.properties.note = { type: 'string' };
      schemas(doc).OrderAccepted.properties.etaDays = { type: 'integer' };
      const sort = queryParam(doc, '/v1/products', 'sort').schema;
      sort.enum = [...sort.enum, 'popularity'];
      events['order.placed'].properties.data.properties.channel = { type: 'string' };
    });
    expect(added).toEqual([]);
  });

  it('when breaking changes come with a raised major version, then the gate lets them through and lists them', () => {
    const breaking = [{ where: 'GET /v1/orders/{orderId}', what: 'operation getOrder removed' }];
    expect(gate({ version: '1.4.0', breaking }, '1.5.0')).toMatchObject({ ok: false, message: expect.stringContaining('raise the major API_VERSION') });
    expect(gate({ version: '1.4.0', breaking }, '2.0.0')).toMatchObject({ ok: true, message: expect.stringContaining('allowed by the new major version 2.0.0') });
    expect(gate({ version: '1.4.0', breaking: [] }, '1.4.0').ok).toBe(true);
  });
});
