/**
 * A channel's webhook (admin): where its order events are POSTed, and the secret that signs them. The URL
 * must lead to public addresses only (domain/webhook-addresses.ts): one that names a refused address, or an
 * internal host, is invalid (400); one whose host resolves to a refused address, or does not resolve,
 * cannot be used (422). Each delivery checks the resolved addresses again.
 */
import { deleteWebhook, findWebhook, saveWebhook, type ChannelWebhook } from '../../persistence/channels.js';
import { resolveWebhookTarget, type WebhookSettings } from '../../services/webhook-targets.js';
import { problems } from '../problem.js';

/** Sets the channel's webhook; `created` when it had none. The secret is stored encrypted. */
export async function setWebhook(
  { policy, keys, resolve }: WebhookSettings,
  channel: string,
  { url, secret }: { url: string; secret: string },
): Promise<{ webhook: ChannelWebhook; created: boolean }> {
  const target = await resolveWebhookTarget(url, policy, resolve);
  if (!target.ok && target.kind === 'invalid') throw problems.validation([{ path: 'url', message: target.problem }], `The webhook URL ${target.problem}.`);
  if (!target.ok) throw problems.unprocessable(`The webhook URL cannot be used: it ${target.problem}.`, [{ path: 'url', message: target.problem }]);
  const created = (await findWebhook(channel)) === undefined;
  const webhook = { url, updatedAt: new Date() };
  await saveWebhook(channel, { ...webhook, secret }, keys);
  return { webhook, created };
}

export async function getWebhook(channel: string): Promise<ChannelWebhook> {
  const webhook = await findWebhook(channel);
  if (!webhook) throw problems.notFound(`Channel ${channel} has no webhook.`);
  return webhook;
}

/** Switches the webhook off and forgets its secret; orders of the channel stop sending events. */
export async function removeWebhook(channel: string): Promise<void> {
  await getWebhook(channel);
  await deleteWebhook(channel);
}
