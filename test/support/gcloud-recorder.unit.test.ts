import { describe, expect, it } from 'vitest';
import { applyUpdateMask, etagOf, requestTarget, route } from './gcloud-recorder.ts';

describe('gcloud recorder, pure parts', () => {
  it('when gcloud sends a proxied request to a regional host, then host, path and query are taken from the absolute URI', () => {
    // Node's URL parser refuses this host: its last label looks like an IPv4 address.
    const target = requestTarget('http://europe-west1-127.0.0.1:41011/apis/serving.knative.dev/v1/namespaces/p/revisions?labelSelector=a+%3D+b', '127.0.0.1:41011');

    expect(target.host).toBe('europe-west1-127.0.0.1:41011');
    expect(target.path).toBe('/apis/serving.knative.dev/v1/namespaces/p/revisions');
    expect(target.query.get('labelSelector')).toBe('a = b');
  });

  it('when a request names only a path, then the host comes from its Host header', () => {
    expect(requestTarget('/v1/projects/p/topics/t?alt=json', '127.0.0.1:1')).toMatchObject({ host: '127.0.0.1:1', path: '/v1/projects/p/topics/t' });
  });

  it('when a route has a resource id before a :verb, then the id stops at the colon and dots stay in it', () => {
    const { pattern } = route('POST', '/v1/projects/{p}/topics/{t}:getIamPolicy', () => ({}));

    expect(pattern.exec('/v1/projects/shop/topics/order.placed:getIamPolicy')?.groups).toEqual({ p: 'shop', t: 'order.placed' });
    expect(pattern.exec('/v1/projects/shop/topics/order.placed')).toBeNull();
  });

  it('when an update mask names fields in snake_case, then exactly those change and a named field missing from the body is cleared', () => {
    const resource = { name: 'f', buildConfig: { runtime: 'nodejs20', entryPoint: 'old' }, serviceConfig: { timeoutSeconds: 60, environmentVariables: { A: '1' } }, eventTrigger: { x: 1 } };
    const changes = { buildConfig: { entryPoint: 'new', runtime: 'ignored' }, serviceConfig: { timeoutSeconds: 540, environmentVariables: { B: '2' } } };

    const updated = applyUpdateMask(resource, changes, 'build_config.entry_point,service_config.timeout_seconds,event_trigger');

    expect(updated).toEqual({ name: 'f', buildConfig: { runtime: 'nodejs20', entryPoint: 'new' }, serviceConfig: { timeoutSeconds: 540, environmentVariables: { A: '1' } } });
    expect(resource.buildConfig.entryPoint).toBe('old');
  });

  it('when the bindings are the same, then so is the etag, and it is URL-safe as gcloud sends it back', () => {
    const bindings = [{ role: 'roles/pubsub.publisher', members: ['serviceAccount:a@p.iam.gserviceaccount.com'] }];

    expect(etagOf(bindings)).toBe(etagOf(structuredClone(bindings)));
    expect(etagOf(bindings)).not.toBe(etagOf([]));
    expect(etagOf(bindings)).toMatch(/^[\w-]+$/);
  });
});
