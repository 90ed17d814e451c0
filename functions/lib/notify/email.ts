import net from 'node:net';
import nodemailer from 'nodemailer';
import { config } from '../config.ts';
import { faults, withProviderFaults } from '../faults.ts';
import { createCallPolicy } from '../resilience.ts';
import { PermanentDeliveryError } from './delivery.ts';

/** An email to one recipient; `messageId` is stable per order and template so mail clients can drop a repeat. */
export interface Email {
  to: string;
  subject: string;
  text: string;
  messageId: string;
}

/** Sends an email and resolves to the provider's message id; throws PermanentDeliveryError when refused for good. */
export type SendEmail = (email: Email, options?: { signal?: AbortSignal }) => Promise<string>;

/**
 * Hands nodemailer a socket with Nagle's algorithm off (otherwise every message waits ~40 ms for a delayed ACK). The
 * socket is handed over while it connects, so a refused connection fails through nodemailer's own error path: a
 * getSocket callback with an error leaks the pool slot (nodemailer 7), and after two refusals no email went out.
 */
function socketWithoutDelay(opts: { host: string; port: number }, callback: (err: Error | null, socket?: { connection: net.Socket }) => void): void {
  const socket = net.connect(opts.port, opts.host);
  socket.setNoDelay(true);
  callback(null, { connection: socket });
}

/** SMTP reply codes of 5xx are final: the message will never be accepted as it is. */
const refusedForGood = (err: unknown) => {
  const code = (err as { responseCode?: number }).responseCode;
  return typeof code === 'number' && code >= 500;
};

/**
 * Creates an SMTP sender with pooled connections; EHLO names the sender's domain instead of a host-name lookup.
 * nodemailer's own timeouts end a stuck connection, greeting or exchange after `timeoutMs` each, so when a send has
 * failed its socket is really gone (a send that went on in the background could deliver a second copy); the call
 * policy retries once and opens a circuit when the server keeps failing.
 */
export function createSmtpSender(options: { url: string; from: string; timeoutMs?: number }): SendEmail {
  const timeoutMs = options.timeoutMs ?? 5000;
  const domain = /@([^>\s]+)/.exec(options.from)?.[1] ?? 'localhost';
  const url = new URL(options.url);
  const transport = nodemailer.createTransport({
    host: url.hostname,
    port: Number(url.port || (url.protocol === 'smtps:' ? 465 : 587)),
    secure: url.protocol === 'smtps:',
    ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
    name: domain,
    pool: true,
    maxConnections: 2,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    getSocket: socketWithoutDelay,
  } as object);
  const policy = createCallPolicy({
    dependency: 'SMTP',
    timeoutMs: timeoutMs * 3 + 1000,
    attempts: 2,
    isTransient: (err) => !(err instanceof PermanentDeliveryError),
    breaker: { consecutiveFailures: 5, halfOpenAfterMs: 10_000 },
    backoffMs: 200,
  });
  return (email, callOptions) =>
    policy.execute(async () => {
      try {
        const info = await transport.sendMail({ from: options.from, ...email });
        return info.messageId as string;
      } catch (err) {
        if (refusedForGood(err)) throw new PermanentDeliveryError(`the mail server refused the message: ${(err as Error).message}`, { cause: err });
        throw err;
      }
    }, callOptions?.signal);
}

let instance: SendEmail | undefined;

/** The process-wide email sender, configured from SMTP_URL, MAIL_FROM and SMTP_TIMEOUT_MS (and FAULTS locally). */
export const sendEmail: SendEmail = (email, options) => {
  const cfg = config();
  instance ??= createSmtpSender({ url: cfg.SMTP_URL, from: cfg.MAIL_FROM, timeoutMs: cfg.SMTP_TIMEOUT_MS });
  return withProviderFaults(() => instance!(email, options), { faults: faults(), what: 'SMTP' });
};
