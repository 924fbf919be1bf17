/**
 * /v1/channels/{channel}/webhook (admin): where a channel's order events are POSTed, and the secret that
 * signs them. The secret is write-only: no answer ever contains it, only `secretSet: true`; it is stored
 * encrypted. The URL must lead to public addresses only (domain/webhook-addresses.ts): one that names a
 * refused address, or an internal host, is invalid (400); one whose host resolves to a refused address, or
 * does not resolve, cannot be used (422). Each delivery checks the resolved addresses again.
 */
import { Router } from 'express';
import { deleteWebhook, findWebhook, saveWebhook, type ChannelWebhook } from '../../persistence/channels.js';
import { resolveWebhookTarget, type WebhookSettings } from '../../services/webhook-targets.js';
import { requireRole } from '../auth.js';
import { problems } from '../problem.js';
import { ChannelWebhookPath, WebhookSettingsRequest } from '../schemas/channels.js';
import { parseWith } from '../validation.js';

function webhookView(channel: string, webhook: ChannelWebhook) {
  return { channel, url: webhook.url, secretSet: true as const, updatedAt: webhook.updatedAt.toISOString() };
}

/** The address policy (https in production, the opt-in for test receivers), the secrets' keys and the resolver. */
export function channelsRouter({ policy, keys, resolve }: WebhookSettings): Router {
  const router = Router();
  const path = '/v1/channels/:channel/webhook';

  router.put(path, requireRole('admin'), async (req, res) => {
    const { channel } = parseWith(ChannelWebhookPath, req.params, 'path');
    const { url, secret } = parseWith(WebhookSettingsRequest, req.body, 'body');
    const target = await resolveWebhookTarget(url, policy, resolve);
    if (!target.ok && target.kind === 'invalid') throw problems.validation([{ path: 'url', message: target.problem }], `The webhook URL ${target.problem}.`);
    if (!target.ok) throw problems.unprocessable(`The webhook URL cannot be used: it ${target.problem}.`, [{ path: 'url', message: target.problem }]);
    const existed = (await findWebhook(channel)) !== undefined;
    const webhook = { url, updatedAt: new Date() };
    await saveWebhook(channel, { ...webhook, secret }, keys);
    res.status(existed ? 200 : 201).json(webhookView(channel, webhook));
  });

  router.get(path, requireRole('admin'), async (req, res) => {
    const { channel } = parseWith(ChannelWebhookPath, req.params, 'path');
    const webhook = await findWebhook(channel);
    if (!webhook) throw problems.notFound(`Channel ${channel} has no webhook.`);
    res.json(webhookView(channel, webhook));
  });

  /** Switches the webhook off and forgets its secret; orders of the channel stop sending events. */
  router.delete(path, requireRole('admin'), async (req, res) => {
    const { channel } = parseWith(ChannelWebhookPath, req.params, 'path');
    if (!(await findWebhook(channel))) throw problems.notFound(`Channel ${channel} has no webhook.`);
    await deleteWebhook(channel);
    res.status(204).end();
  });

  return router;
}
