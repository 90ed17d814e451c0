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

/** Creates an SMTP sender with a pooled connection. */
export function createSmtpSender(options: { url: string; from: string }): SendEmail {
  const transport = nodemailer.createTransport(options.url, { pool: true, maxConnections: 2 } as object);
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
