/**
 * /v1/channels/{channel}/webhook (admin): where a channel's order events are POSTed, and the secret that
 * signs them. The secret is write-only: no answer ever contains it, only `secretSet: true`.
 */
import { Router } from 'express';
import { ChannelWebhookPath, WebhookSettingsRequest } from '../../domain/schemas.js';
import { productionWebhookUrlProblem } from '../../domain/webhooks.js';
import { ChannelSettingModel } from '../../persistence/models.js';
import { requireRole } from '../auth.js';
import { problems } from '../problem.js';
import { parseWith } from '../validation.js';

function webhookView(channel: string, webhook: { url: string; updatedAt: Date }) {
  return { channel, url: webhook.url, secretSet: true as const, updatedAt: webhook.updatedAt.toISOString() };
}

/** The channel's webhook without its secret (the model never selects it unless asked), or undefined. */
async function findWebhook(channel: string) {
  const settings = await ChannelSettingModel.findById(channel).lean();
  const webhook = settings?.webhook;
  return webhook?.url && webhook.updatedAt ? { url: webhook.url, updatedAt: webhook.updatedAt } : undefined;
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
    const updatedAt = new Date();
    await ChannelSettingModel.updateOne({ _id: channel }, { $set: { webhook: { url, secret, updatedAt } } }, { upsert: true });
    res.status(existed ? 200 : 201).json(webhookView(channel, { url, updatedAt }));
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
    await ChannelSettingModel.updateOne({ _id: channel }, { $unset: { webhook: 1 } });
    res.status(204).end();
  });

  return router;
}
