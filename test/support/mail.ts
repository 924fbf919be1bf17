/**
 * Email in tests: the real SMTP mailer pointed at the suite's Mailpit (test/global-setup.ts), and reading
 * what arrived through Mailpit's HTTP API. Test files share that Mailpit, so each test tells its mail
 * apart by a recipient address of its own (`uniqueAddress`).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';
import { SmtpMailer } from '../../services/mailer.js';
import { DEFAULT_MAIL_FROM } from '../../config.js';

export function testSmtpUrl(): string {
  return inject('smtpUrl');
}

/** The product's SMTP mailer, sending to the suite's Mailpit. */
export function testMailer(): SmtpMailer {
  return new SmtpMailer({ url: testSmtpUrl(), from: DEFAULT_MAIL_FROM });
}

/** An address no other test uses. */
export function uniqueAddress(name = 'customer'): string {
  return `${name}-${randomUUID().slice(0, 8)}@example.com`;
}

interface MailpitAddress {
  Name: string;
  Address: string;
}

/** One entry of `GET /api/v1/messages` (summary). */
export interface MailpitSummary {
  ID: string;
  MessageID: string;
  From: MailpitAddress;
  To: MailpitAddress[];
  Subject: string;
  Created: string;
}

/** `GET /api/v1/message/{ID}`. */
export interface MailpitMessage extends MailpitSummary {
  Text: string;
  HTML: string;
  Date: string;
}

async function getJson<T>(apiUrl: string, path: string): Promise<T> {
  const response = await fetch(`${apiUrl}${path}`);
  if (!response.ok) throw new Error(`Mailpit GET ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Every message in the Mailpit, newest first, following the pagination of `GET /api/v1/messages`. */
export async function listMessages(apiUrl = inject('mailpitApiUrl')): Promise<MailpitSummary[]> {
  const all: MailpitSummary[] = [];
  for (let start = 0; ; ) {
    const page = await getJson<{ messages_count: number; messages: MailpitSummary[] }>(apiUrl, `/api/v1/messages?start=${start}&limit=250`);
    all.push(...page.messages);
    start += page.messages.length;
    if (page.messages.length === 0 || start >= page.messages_count) return all;
  }
}

export function getMessage(id: string, apiUrl = inject('mailpitApiUrl')): Promise<MailpitMessage> {
  return getJson<MailpitMessage>(apiUrl, `/api/v1/message/${encodeURIComponent(id)}`);
}

/** The messages addressed to `address`, newest first. */
export async function messagesTo(address: string, apiUrl = inject('mailpitApiUrl')): Promise<MailpitSummary[]> {
  const all = await listMessages(apiUrl);
  return all.filter((message) => message.To.some((to) => to.Address.toLowerCase() === address.toLowerCase()));
}

export interface ByMessageId {
  /**
   * Count copies with one Message-ID once: a process killed between the mail server taking a message and
   * its record being marked sent sends it again with the same Message-ID (services/notifications.ts), which
   * mail clients show as one message.
   */
  byMessageId?: boolean;
}

/**
 * Waits until exactly `count` messages to `address` have arrived, then a little longer to see that no
 * more follow, and returns them in full. (Mailpit stores a message before it answers the final 250, so
 * anything a test sent is already listed; the extra wait catches stray late sends.)
 */
export async function expectMessagesTo(
  address: string,
  count: number,
  apiUrl = inject('mailpitApiUrl'),
  timeoutMs = 10_000,
  { byMessageId = false }: ByMessageId = {},
): Promise<MailpitMessage[]> {
  const deadline = Date.now() + timeoutMs;
  const received = async () => {
    const all = await messagesTo(address, apiUrl);
    return byMessageId ? [...new Map(all.map((message) => [message.MessageID, message])).values()] : all;
  };
  let found: MailpitSummary[] = [];
  for (;;) {
    found = await received();
    if (found.length >= count || Date.now() > deadline) break;
    await sleep(100);
  }
  await sleep(300);
  found = await received();
  if (found.length !== count) {
    throw new Error(`expected ${count} message(s) to ${address}, found ${found.length}: ${JSON.stringify(found.map((m) => m.Subject))}`);
  }
  return Promise.all(found.map((message) => getMessage(message.ID, apiUrl)));
}
