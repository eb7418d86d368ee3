import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';

/** One message the SMTP stand-in accepted, with how the client delivered it. */
export interface ReceivedMail {
  /** True when the client switched to TLS (STARTTLS) before sending. */
  readonly tls: boolean;
  /** The credentials of the client's AUTH (PLAIN or LOGIN). */
  readonly username: string;
  readonly password: string;
  readonly from: string;
  readonly to: readonly string[];
  /** The message as sent, one char a byte (headers and body, dot-unstuffed, CRLF line ends). */
  readonly data: string;
}

/** The message's Subject header, unfolded. */
export function mailSubject(mail: ReceivedMail): string {
  const headers = mail.data.slice(0, mail.data.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
  return /^Subject: (.*)$/im.exec(headers)?.[1] ?? '';
}

/** The message with quoted-printable parts decoded (soft line breaks joined, =XX bytes restored), for searching its text. */
export function mailText(mail: ReceivedMail): string {
  return Buffer.from(mail.data.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8');
}

export interface SmtpSinkOptions {
  readonly key: string;
  readonly cert: string;
  readonly username: string;
  readonly password: string;
}

/**
 * A minimal SMTP relay standing in for the mail server of the email receiver
 * (Alertmanager's `smtp_smarthost`). Like a relay on the submission port it offers
 * STARTTLS with the given certificate, and accepts mail only over TLS after AUTH
 * (PLAIN or LOGIN) with the one account it knows; everything accepted is kept in `mails`.
 */
export class SmtpSinkStandIn {
  public readonly mails: ReceivedMail[] = [];
  /** Every command line received, in order, for diagnosing a client that gave up. */
  public readonly transcript: string[] = [];
  private server?: Server;
  private port = 0;

  /** key and cert: PEM, offered on STARTTLS; username and password: the one account AUTH accepts. */
  public constructor(private readonly options: SmtpSinkOptions) {}

  public async start(): Promise<void> {
    this.server = createServer((socket) => this.session(socket));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** host:port, as a smarthost. */
  public get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  public stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private session(raw: Socket): void {
    let socket: Socket = raw;
    let tls = false;
    let user: { username: string; password: string } | undefined;
    let envelope: { from: string; to: string[] } | undefined;
    let data: string[] | undefined;
    let login: 'username' | 'password' | 'plain' | undefined;
    let loginUsername = '';
    let buffer = '';
    const reply = (line: string) => socket.write(`${line}\r\n`);
    const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
    const authenticate = (username: string, password: string) => {
      if (username === this.options.username && password === this.options.password) {
        user = { username, password };
        reply('235 2.7.0 Authentication successful');
      } else {
        reply('535 5.7.8 Authentication credentials invalid');
      }
    };
    // Returns true when the connection switched to TLS: the rest of the buffer is not read as commands.
    const handle = (line: string): boolean => {
      this.transcript.push(data ? '(data)' : line);
      if (data) {
        if (line !== '.') {
          data.push(line.startsWith('.') ? line.slice(1) : line);
          return false;
        }
        this.mails.push({ tls, username: user!.username, password: user!.password, from: envelope!.from, to: envelope!.to, data: `${data.join('\r\n')}\r\n` });
        data = undefined;
        envelope = undefined;
        reply('250 2.0.0 Ok: queued');
        return false;
      }
      if (login) {
        const step = login;
        login = undefined;
        if (step === 'plain') {
          const [, username, password] = b64(line).split('\0');
          authenticate(username, password);
        } else if (step === 'username') {
          loginUsername = b64(line);
          login = 'password';
          reply(`334 ${Buffer.from('Password:').toString('base64')}`);
        } else {
          authenticate(loginUsername, b64(line));
        }
        return false;
      }
      const [verb, ...rest] = line.split(' ');
      const arg = rest.join(' ');
      switch (verb.toUpperCase()) {
        case 'EHLO':
        case 'HELO':
          reply('250-helios-smtp-sink');
          reply(tls ? '250-AUTH PLAIN LOGIN' : '250-STARTTLS');
          reply('250 8BITMIME');
          return false;
        case 'STARTTLS': {
          if (tls) {
            reply('503 5.5.1 TLS already active');
            return false;
          }
          reply('220 2.0.0 Ready to start TLS');
          raw.removeAllListeners('data');
          const secureContext = createSecureContext({ key: this.options.key, cert: this.options.cert });
          const secure = new TLSSocket(raw, { isServer: true, secureContext });
          secure.on('data', onData);
          secure.on('error', () => secure.destroy());
          socket = secure;
          tls = true;
          buffer = '';
          return true;
        }
        case 'AUTH': {
          if (!tls) return reply('530 5.7.0 Must issue a STARTTLS command first'), false;
          const [mechanism, initial] = arg.split(' ');
          if (mechanism.toUpperCase() === 'PLAIN') {
            if (initial) {
              const [, username, password] = b64(initial).split('\0');
              authenticate(username, password);
            } else {
              login = 'plain';
              reply('334 ');
            }
          } else if (mechanism.toUpperCase() === 'LOGIN') {
            login = 'username';
            reply(`334 ${Buffer.from('Username:').toString('base64')}`);
          } else {
            reply('504 5.5.4 Unrecognized authentication type');
          }
          return false;
        }
        case 'MAIL':
          if (!tls) return reply('530 5.7.0 Must issue a STARTTLS command first'), false;
          if (!user) return reply('530 5.7.0 Authentication required'), false;
          envelope = { from: /<([^>]*)>/.exec(arg)?.[1] ?? '', to: [] };
          reply('250 2.1.0 Ok');
          return false;
        case 'RCPT':
          if (!envelope) return reply('503 5.5.1 Need MAIL command'), false;
          envelope.to.push(/<([^>]*)>/.exec(arg)?.[1] ?? '');
          reply('250 2.1.5 Ok');
          return false;
        case 'DATA':
          if (!envelope || envelope.to.length === 0) return reply('503 5.5.1 Need RCPT command'), false;
          data = [];
          reply('354 End data with <CR><LF>.<CR><LF>');
          return false;
        case 'RSET':
          envelope = undefined;
          reply('250 2.0.0 Ok');
          return false;
        case 'NOOP':
          reply('250 2.0.0 Ok');
          return false;
        case 'QUIT':
          reply('221 2.0.0 Bye');
          socket.end();
          return false;
        default:
          reply('502 5.5.2 Command not recognized');
          return false;
      }
    };
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
        // Lines stay byte strings (latin1): a message's 8-bit body is decoded once, by mailText.
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (handle(line)) return;
      }
    };
    raw.on('data', onData);
    raw.on('error', () => raw.destroy());
    reply('220 helios-smtp-sink ESMTP');
  }
}
