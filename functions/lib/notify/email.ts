import net from 'node:net';
import nodemailer from 'nodemailer';
import { config } from '../config.ts';

/** An email to one recipient; `messageId` is stable per event so mail clients can drop a repeat. */
export interface Email {
  to: string;
  subject: string;
  text: string;
  messageId: string;
}

/** Sends an email and resolves to the provider's message id. */
export type SendEmail = (email: Email) => Promise<string>;

/** Opens the SMTP socket with Nagle's algorithm off: otherwise every message waits ~40 ms for a delayed ACK. */
function socketWithoutDelay(
  opts: { host: string; port: number },
  callback: (err: Error | null, socket?: { connection: net.Socket }) => void,
): void {
  const socket = net.connect(opts.port, opts.host);
  socket.setNoDelay(true);
  socket.once('connect', () => callback(null, { connection: socket }));
  socket.once('error', (err) => callback(err));
}

/** Creates an SMTP sender with pooled connections; EHLO names the sender's domain instead of a host-name lookup. */
export function createSmtpSender(options: { url: string; from: string }): SendEmail {
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
    getSocket: socketWithoutDelay,
  } as object);
  return async (email) => {
    const info = await transport.sendMail({ from: options.from, ...email });
    return info.messageId;
  };
}

let instance: SendEmail | undefined;

/** The process-wide email sender, configured from SMTP_URL and MAIL_FROM. */
export const sendEmail: SendEmail = (email) => {
  instance ??= createSmtpSender({ url: config().SMTP_URL, from: config().MAIL_FROM });
  return instance(email);
};
