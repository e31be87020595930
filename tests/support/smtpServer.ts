import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { findFreePort } from '../../src/db/freePort.js';

/**
 * A real SMTP server in the test process (the `smtp-server` package that nodemailer's authors keep),
 * parsing each message with `mailparser`. `failNext(n)` answers the next n messages with a 451
 * (a temporary failure a sender must retry), as a busy mail server does.
 */
export interface SmtpTestServer {
  url: string;
  received: ParsedMail[];
  failNext(count: number): void;
  close(): Promise<void>;
}

export async function startSmtpServer(credentials = { user: 'mailer', pass: 'mail-secret' }): Promise<SmtpTestServer> {
  const received: ParsedMail[] = [];
  let failures = 0;
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: false,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === credentials.user && auth.password === credentials.pass) callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (failures > 0) {
          failures--;
          callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
          return;
        }
        simpleParser(Buffer.concat(chunks)).then(
          (mail) => {
            received.push(mail);
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  const port = await findFreePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `smtp://${credentials.user}:${credentials.pass}@127.0.0.1:${port}`,
    received,
    failNext(count) {
      failures = count;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
