import { createRequire } from 'node:module';
import { cloudEvent, http, type CloudEventFunction, type Request, type Response } from '@google-cloud/functions-framework';
import { context, propagation, ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import { logger, type Logger } from '../logger.ts';
import { config } from '../config.ts';
import { flushTelemetry, SpanKind, startTelemetry, tracer } from '../telemetry.ts';
import { answerFrameworkError, type HttpApi } from './api.ts';

type Handle = (this: ExpressApp, req: Request, res: Response, callback?: (err?: unknown) => void) => void;
interface ExpressApp {
  request: object;
  response: object;
}

let frontDoor: Pick<HttpApi, 'admit' | 'frameworkError'> | undefined;
let traced = false;

/**
 * Puts a front door before the functions framework's own middleware. The framework reads and parses every body
 * (up to 1 GB) before a function runs and answers what it cannot parse with an HTML page from Express's default
 * error handler (functions-framework-nodejs#686). Its Express application is created after the function's module
 * is loaded, so the application prototype of the framework's own copy of Express is wrapped here: each request is
 * admitted first (route, body length and type, caller, rate limits, with no byte of the body read), and whatever the
 * framework then fails on is answered as problem+json by the function.
 */
function installFrontDoor(door: Pick<HttpApi, 'admit' | 'frameworkError'>, options: { traced: boolean }): void {
  const installed = frontDoor !== undefined;
  frontDoor = door;
  traced = options.traced;
  if (installed) return;
  const fromHere = createRequire(import.meta.url);
  const express = createRequire(fromHere.resolve('@google-cloud/functions-framework'))('express') as { application: { handle: Handle } };
  const original = express.application.handle;
  express.application.handle = function handle(req, res, callback) {
    // What Express's own handle does first, so that the front door sees an Express request and response.
    Object.assign(req, { res });
    Object.assign(res, { req });
    Object.setPrototypeOf(req, this.request);
    Object.setPrototypeOf(res, this.response);
    const done = callback ?? ((err?: unknown) => frontDoor!.frameworkError(req, res, err));
    const serve = () =>
      frontDoor!.admit(req, res).then(
        (admitted) => admitted && original.call(this, req, res, done),
        (err: unknown) => frontDoor!.frameworkError(req, res, err),
      );
    if (!traced) return void serve();
    // A request is a server span, in the caller's trace when it sends a traceparent; the API names it by its route.
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer().startSpan(`${req.method} ${req.path}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.path } }, parent);
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), serve);
  };
}

/** Registers an HTTP API function behind its front door. */
export function serveHttp(name: string, api: HttpApi): void {
  startTelemetry(name);
  installFrontDoor(api, { traced: true });
  http(name, (req, res) => api.handle(req, res));
}

/**
 * Registers an HTTP function that is not part of the operations table (a job Cloud Scheduler calls, the reference
 * page): the same problem+json answers for whatever the framework cannot parse.
 */
export function serveHandler(name: string, job: (req: Request, res: Response) => Promise<void>, options: { log: () => Logger }): void {
  startTelemetry(name);
  installFrontDoor({ admit: async () => true, frameworkError: (req, res, err) => answerFrameworkError(req, res, err, options.log()) }, { traced: true });
  http(name, async (req, res) => {
    try {
      await job(req, res);
    } finally {
      if (config().TELEMETRY_FLUSH_EACH_REQUEST) await flushTelemetry();
    }
  });
}

/**
 * Registers a function Pub/Sub pushes events to: a push that is not a readable event (malformed JSON) is answered
 * as problem+json like everything else, and Pub/Sub retries it, then dead-letters it.
 */
export function serveEvents<T>(name: string, handler: CloudEventFunction<T>): void {
  startTelemetry(name);
  // Each delivery is a span of the trace its message carries (see pubsubStep), not of the push request.
  installFrontDoor({ admit: async () => true, frameworkError: (req, res, err) => answerFrameworkError(req, res, err, logger()) }, { traced: false });
  cloudEvent(name, handler);
}
