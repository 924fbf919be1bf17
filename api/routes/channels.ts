/**
 * /v1/channels/{channel}/webhook (admin): where a channel's order events are POSTed, and the secret that
 * signs them. The secret is write-only: no answer ever contains it, only `secretSet: true`.
 */
import { Router } from 'express';
import { productionWebhookUrlProblem } from '../../domain/webhooks.js';
import { deleteWebhook, findWebhook, saveWebhook, type ChannelWebhook } from '../../persistence/channels.js';
import { requireRole } from '../auth.js';
import { problems } from '../problem.js';
import { ChannelWebhookPath, WebhookSettingsRequest } from '../schemas/channels.js';
import { parseWith } from '../validation.js';

function webhookView(channel: string, webhook: ChannelWebhook) {
  return { channel, url: webhook.url, secretSet: true as const, updatedAt: webhook.updatedAt.toISOString() };
}

/** In production, webhook URLs must be https and must not point into the private network. */
export function channelsRouter({ production }: { production: boolean }): Router {
  const router = Router();
  const path = '/v1/channels/:channel/webhook';

  router.put(path, requireRole('admin'), async (req, res) => {
    const { channel } = parseWith(ChannelWebhookPath, req.params, 'path');
    const { url, secret } = parseWith(WebhookSettingsRequest, req.body, 'body');
    const urlProblem = production ? productionWebhookUrlProblem(url) : undefined;
    if (urlProblem) throw problems.validation([{ path: 'url', message: urlProblem }]);
    const existed = (await findWebhook(channel)) !== undefined;
    const webhook = { url, updatedAt: new Date() };
    await saveWebhook(channel, { ...webhook, secret });
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
