/**
 * Notifications are real email: sent over SMTP to the suite's Mailpit and read back through its HTTP API
 * (GET /api/v1/messages, GET /api/v1/message/{ID}). Effectively once per business key: a retried activity
 * sends nothing more. A second Mailpit of this file's own, with Mailpit's "chaos" triggers, plays a mail
 * server that defers (451) or refuses (550) a recipient.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities, type OrderActivities } from '../../activities/index.js';
import { trackingLinks } from '../../services/tracking-links.js';
import { notificationActivities } from '../../activities/notifications.js';
import { DEFAULT_MAIL_FROM } from '../../config.js';
import { restockWorkflowId } from '../../contracts/ids.js';
import { orderKeys } from '../../contracts/keys.js';
import { type NotificationRequest } from '../../domain/notifications.js';
import { NotificationModel } from '../../persistence/notifications.js';
import { SmtpMailer } from '../../services/mailer.js';
import { NotificationBeingSent, notificationMessageId } from '../../services/notifications.js';
import { createStockEffects } from '../../services/stock-effects.js';
import { findFreePort } from '../../stack/processes.js';
import { startMailpit, type MailpitServer } from '../../stack/services.js';
import { sandboxDependencies } from '../../worker/create-worker.js';
import { setStock, TEST_INVENTORY, uniqueId, useTestDatabase } from '../support/fixtures.js';
import { expectMessagesTo, getMessage, listMessages, messagesTo, testMailer, testSmtpUrl, uniqueAddress } from '../support/mail.js';

/** No worker polls this queue: a restock signal-with-start just leaves a dispatcher waiting there. */
const taskQueue = `activities-email-${randomUUID()}`;

let connection: Connection;
let temporal: Client;
let activities: OrderActivities;
let close: () => Promise<void>;

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  temporal = new Client({ connection });
  activities = createActivities(sandboxDependencies({ temporal, taskQueue, inventory: TEST_INVENTORY, smtpUrl: testSmtpUrl() }));
  ({ close } = await useTestDatabase('activities_email'));
});
afterAll(async () => {
  await close?.();
  await connection?.close();
});

function confirmation(email: string, overrides: Partial<NotificationRequest> = {}): NotificationRequest {
  const orderId = `ord_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
  return {
    orderId,
    event: 'order_confirmed',
    recipient: { email, name: 'Erika' },
    externalId: `web-${orderId.slice(4, 12)}`,
    total: { amount: 3998, currency: 'EUR' },
    ...overrides,
  };
}

/** Mailpit shows the Message-ID without its angle brackets. */
const bare = (messageId: string) => messageId.replace(/^<|>$/g, '');

describe('notifyCustomer', () => {
  it('delivers one email to the customer, with the subject and text of the notification and a Message-ID derived from its key', async () => {
    const to = uniqueAddress('erika');
    const request = confirmation(to);
    await activities.notifyCustomer(request);

    // Listed by GET /api/v1/messages ...
    const listed = (await listMessages()).filter((m) => m.To.some((t) => t.Address === to));
    expect(listed).toHaveLength(1);
    // ... and read in full by GET /api/v1/message/{ID}.
    const message = await getMessage(listed[0]!.ID);
    expect(message.Subject).toBe(`We have your order ${request.externalId}`);
    // SMTP carries lines as CRLF.
    expect(message.Text.replace(/\r\n/g, '\n').trim()).toBe(
      `Hello Erika,\n\nYour order ${request.externalId} for 39.98 EUR is confirmed and being prepared.\n\nFollow your order: ${trackingLinks().urlOf(request.orderId)}`,
    );
    expect(message.To).toEqual([{ Name: '', Address: to }]);
    expect(message.From).toEqual({ Name: 'Fulfillment', Address: 'orders@localhost' });
    const key = orderKeys(request.orderId).notification(request.event, request.subjectId);
    expect(message.MessageID).toBe(bare(notificationMessageId(key)));

    const record = await NotificationModel.findOne({ key }).lean();
    expect(record).toMatchObject({ status: 'sent', recipient: to, messageId: notificationMessageId(key), orderId: request.orderId });
    expect(record!.sentAt).toBeInstanceOf(Date);
    expect(record!.smtpResponse).toMatch(/^250 /);
    expect(record!.lastError).toBeUndefined();
  });

  it('sends exactly one email when the activity runs twice (a retry)', async () => {
    const to = uniqueAddress();
    const request = confirmation(to);
    await activities.notifyCustomer(request);
    await activities.notifyCustomer(request);
    await expectMessagesTo(to, 1);
    expect(await NotificationModel.countDocuments({ key: orderKeys(request.orderId).notification(request.event, request.subjectId) })).toBe(1);

    // A shipped notice per shipment is a notification of its own.
    const shipped = (subjectId: string) =>
      confirmation(to, { orderId: request.orderId, externalId: request.externalId, event: 'shipment_shipped', subjectId, carrier: 'SBX', trackingNumber: subjectId });
    await activities.notifyCustomer(shipped('TRK-1'));
    await activities.notifyCustomer(shipped('TRK-2'));
    await activities.notifyCustomer(shipped('TRK-1'));
    const messages = await expectMessagesTo(to, 3);
    expect(messages.filter((m) => m.Subject.includes('is on its way'))).toHaveLength(2);
  });

  it('resends with the same Message-ID when a crash came between the send and marking it sent', async () => {
    const to = uniqueAddress();
    const request = confirmation(to);
    await activities.notifyCustomer(request);
    // What a crash right after the server's 250 leaves behind, once its claim has lapsed: the record still says recorded.
    await NotificationModel.updateOne(
      { key: orderKeys(request.orderId).notification(request.event, request.subjectId) },
      { $set: { status: 'recorded', sendingUntil: new Date(Date.now() - 1) }, $unset: { sentAt: 1 } },
    );
    await activities.notifyCustomer(request);

    const [second, first] = await expectMessagesTo(to, 2);
    expect(second!.MessageID).toBe(first!.MessageID);
    expect(first!.MessageID).toBe(bare(notificationMessageId(orderKeys(request.orderId).notification(request.event, request.subjectId))));
    expect(await NotificationModel.findOne({ key: orderKeys(request.orderId).notification(request.event, request.subjectId) }).lean()).toMatchObject({ status: 'sent' });
  });

  it('refuses a second attempt while the first is still sending, and sends once', async () => {
    const to = uniqueAddress();
    const request = confirmation(to);
    const mailer = testMailer();
    // A slow mail server: the first attempt is still sending when the second starts (a local attempt the
    // workflow gave up on, and its retry).
    const slow = notificationActivities({ ...mailer, send: async (message) => (await sleep(1_000), mailer.send(message)) }, 'ops@example.com', trackingLinks());
    const first = slow.notifyCustomer(request);
    await sleep(200);
    await expect(slow.notifyCustomer(request)).rejects.toBeInstanceOf(NotificationBeingSent);
    await first;
    await slow.notifyCustomer(request); // the retry: sent already
    await expectMessagesTo(to, 1);
  });
});

describe('low-stock alerts', () => {
  it('email operations once per alert, however many stock changes race', async () => {
    const ops = uniqueAddress('ops');
    const effects = createStockEffects({ temporal, taskQueue, lowStockThreshold: 5, operationsEmail: ops, mailer: testMailer() });
    const sku = uniqueId('SKU');
    await setStock(sku, 'wh-1', 3);
    try {
      await Promise.all(Array.from({ length: 10 }, () => effects.afterStockChange([sku], { increased: false })));
      await effects.afterStockChange([sku], { increased: false });

      const [message] = await expectMessagesTo(ops, 1);
      expect(message!.Subject).toBe(`Low stock: ${sku}`);
      expect(message!.Text.trim()).toBe(`${sku} has 3 units available to promise across all warehouses (threshold 5).`);
      expect(await NotificationModel.findOne({ event: 'low_stock', recipient: ops }).lean()).toMatchObject({ status: 'sent' });
    } finally {
      await temporal.workflow.getHandle(restockWorkflowId(sku)).terminate('test done').catch(() => undefined);
    }
  });
});

describe('against a mail server that defers or refuses', () => {
  let mailpit: MailpitServer;
  let dataDir: string;
  let notify: ReturnType<typeof notificationActivities>['notifyCustomer'];

  const chaos = async (recipientErrorCode: number | undefined) => {
    const body = recipientErrorCode ? { Recipient: { ErrorCode: recipientErrorCode, Probability: 100 } } : {};
    const response = await fetch(`${mailpit.apiUrl}/api/v1/chaos`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status, await response.text()).toBe(200);
  };

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'oms-mailpit-chaos-'));
    mailpit = await startMailpit({
      binary: process.env.OMS_MAILPIT_BIN!,
      smtpPort: await findFreePort(),
      httpPort: await findFreePort(),
      dataFile: path.join(dataDir, 'mailpit.db'),
      // Chaos for the failures; any credentials accepted (over plain SMTP), and messages tagged with the user name.
      extraArgs: ['--enable-chaos', '--smtp-auth-accept-any', '--smtp-auth-allow-insecure', '--tags-username'],
      onLine: () => {},
      ownProcessGroup: false,
    });
    const [user, password] = ['shop', 's3cret-pa55'];
    const url = mailpit.smtpUrl.replace('smtp://', `smtp://${user}:${password}@`);
    const mailer = new SmtpMailer({ url, from: DEFAULT_MAIL_FROM });
    expect(mailer.describe()).toBe(mailpit.smtpUrl.replace('smtp://', `smtp://${user}:****@`));
    notify = notificationActivities(mailer, 'ops@example.com', trackingLinks()).notifyCustomer;
  });
  afterAll(async () => {
    await mailpit?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('logs in with the credentials of the SMTP URL', async () => {
    const to = uniqueAddress();
    await notify(confirmation(to));
    const [summary] = await messagesTo(to, mailpit.apiUrl);
    const full = (await (await fetch(`${mailpit.apiUrl}/api/v1/message/${summary!.ID}`)).json()) as { Tags: string[] };
    expect(full.Tags).toContain('shop');
  });

  it('a temporary refusal (451) fails the attempt and leaves the notification recorded; the retry sends it once', async () => {
    const to = uniqueAddress();
    const request = confirmation(to);
    await chaos(451);
    try {
      await expect(notify(request)).rejects.toMatchObject({ responseCode: 451 });
      await expect(notify(request)).rejects.toMatchObject({ responseCode: 451 });
    } finally {
      await chaos(undefined);
    }
    const pending = await NotificationModel.findOne({ key: orderKeys(request.orderId).notification(request.event, request.subjectId) }).lean();
    expect(pending).toMatchObject({ status: 'recorded' });
    expect(pending!.lastError).toMatch(/451/);
    expect(await messagesTo(to, mailpit.apiUrl)).toEqual([]);

    await notify(request); // the activity's next retry
    await notify(request); // and one more, after it succeeded
    await expectMessagesTo(to, 1, mailpit.apiUrl);
    const sent = await NotificationModel.findOne({ key: orderKeys(request.orderId).notification(request.event, request.subjectId) }).lean();
    expect(sent).toMatchObject({ status: 'sent' });
    expect(sent!.lastError).toBeUndefined();
  });

  it('a permanent refusal (550) of the recipient marks it rejected without failing, and it is never sent later', async () => {
    const to = uniqueAddress('nobody');
    const request = confirmation(to);
    await chaos(550);
    try {
      await expect(notify(request)).resolves.toBeUndefined();
    } finally {
      await chaos(undefined);
    }
    const rejected = await NotificationModel.findOne({ key: orderKeys(request.orderId).notification(request.event, request.subjectId) }).lean();
    expect(rejected).toMatchObject({ status: 'rejected' });
    expect(rejected!.lastError).toMatch(/550/);
    await notify(request);
    expect(await messagesTo(to, mailpit.apiUrl)).toEqual([]);
  });

  it('an unreachable server fails the attempt (for the activity to retry)', async () => {
    const unreachable = new SmtpMailer({ url: `smtp://127.0.0.1:${await findFreePort()}`, from: DEFAULT_MAIL_FROM });
    const request = confirmation(uniqueAddress());
    await expect(notificationActivities(unreachable, 'ops@example.com', trackingLinks()).notifyCustomer(request)).rejects.toMatchObject({ code: 'ESOCKET' });
    expect(await NotificationModel.findOne({ key: orderKeys(request.orderId).notification(request.event, request.subjectId) }).lean()).toMatchObject({ status: 'recorded', lastError: expect.stringMatching(/ECONNREFUSED/) });
  });
});
