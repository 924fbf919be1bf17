/**
 * Sending email. Activities depend on the `Mailer` interface; the product (and the tests) use
 * `SmtpMailer`, which speaks SMTP to `SMTP_URL` (Mailpit under `npm start` and in tests).
 */
import nodemailer from 'nodemailer';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  /** The Message-ID header, `<id@domain>`; callers derive it from the notification's business key. */
  messageId: string;
}

export interface SentEmail {
  messageId: string;
  /** The server's final reply, e.g. `250 2.0.0 Ok: queued as ...`. */
  response: string;
}

export interface Mailer {
  /**
   * Hands the message to the mail server. Rejects with `EmailRejected` when the server refuses this
   * message or recipient for good (a 5xx reply to RCPT TO or DATA); any other error is transient
   * (connection, timeout, 4xx, authentication, sender refused) and worth retrying.
   */
  send(message: EmailMessage): Promise<SentEmail>;
}

/** The server refused this recipient or message permanently; sending it again cannot succeed. */
export class EmailRejected extends Error {
  constructor(
    message: string,
    readonly response: string,
    readonly responseCode: number,
  ) {
    super(message);
    this.name = 'EmailRejected';
  }
}

export interface SmtpMailerOptions {
  /** `smtp://[user:pass@]host:port` (STARTTLS when the server offers it) or `smtps://...` (TLS from the start). */
  url: string;
  /** The From header, e.g. `Fulfillment <orders@localhost>`. */
  from: string;
}

export class SmtpMailer implements Mailer {
  private readonly transport;

  constructor(private readonly options: SmtpMailerOptions) {
    // One connection per message (no pool): nothing stays open between sends, and a retry starts clean.
    // Timeouts well inside an activity's 30 s start-to-close (nodemailer's defaults are minutes);
    // query parameters of the URL (e.g. ?connectionTimeout=...) override them.
    this.transport = nodemailer.createTransport({ url: options.url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 });
  }

  /** The server, with any password masked, for messages. */
  describe(): string {
    return maskUrlPassword(this.options.url);
  }

  async send(message: EmailMessage): Promise<SentEmail> {
    try {
      const info = await this.transport.sendMail({
        from: this.options.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        messageId: message.messageId,
      });
      return { messageId: info.messageId, response: info.response };
    } catch (error) {
      const smtp = error as { command?: string; responseCode?: number; response?: string; message?: string };
      const code = smtp.responseCode ?? 0;
      if (code >= 500 && code < 600 && (smtp.command === 'RCPT TO' || smtp.command === 'DATA')) {
        throw new EmailRejected(`${smtp.command} refused by ${this.describe()}: ${smtp.response ?? smtp.message}`, smtp.response ?? '', code);
      }
      throw error;
    }
  }
}

/** `scheme://user:pass@host` -> `scheme://user:****@host`; anything else unchanged. */
export function maskUrlPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, '$1:****@');
}
