import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { emailsTo, eventually, stack, unique } from '../../../test/support/saga.ts';
import { freePort } from '../../../scripts/stack/process.ts';
import { createSmtpSender } from './email.ts';

describe('the SMTP sender', () => {
  it('when the server refused connections for a while, then sending works again as soon as it is back (no pool slot leaks)', async () => {
    const port = await freePort();
    const send = createSmtpSender({ url: `smtp://127.0.0.1:${port}`, from: 'Shop <orders@saga-commerce.dev>', timeoutMs: 2000 });
    const email = (to: string, n: number) => ({ to, subject: `try ${n}`, text: 'x', messageId: `<${unique('m')}@saga-commerce.dev>` });
    const to = `${unique('pool')}@example.com`;
    for (let n = 0; n < 2; n++) await expect(send(email(to, n))).rejects.toThrow(/ECONNREFUSED/);
    // Now the server is back (a proxy to the stack's maildev on the same port).
    const proxy = net.createServer((client) => {
      const upstream = net.connect(stack.smtpPort, '127.0.0.1');
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
    try {
      for (let n = 2; n < 5; n++) await expect(send(email(to, n))).resolves.toMatch(/@/);
      expect(await eventually(() => emailsTo(to), (m) => m.length === 3)).toHaveLength(3);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('when the server accepts the connection but never answers, then the send fails after its timeout instead of hanging', async () => {
    const silentServer = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silentServer.listen(0, '127.0.0.1', resolve));
    const { port } = silentServer.address() as net.AddressInfo;
    const send = createSmtpSender({ url: `smtp://127.0.0.1:${port}`, from: 'Shop <orders@saga-commerce.dev>', timeoutMs: 300 });
    const started = Date.now();
    try {
      await expect(send({ to: 'x@example.com', subject: 's', text: 't', messageId: '<x@saga-commerce.dev>' })).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      silentServer.close();
    }
  });
});
