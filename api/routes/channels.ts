/**
 * /v1/channels/{channel}/webhook (api/actions/webhooks.ts): where a channel's order events are POSTed, and
 * the secret that signs them. The secret is write-only: no answer ever contains it, only `secretSet: true`.
 */
import { Router } from 'express';
import type { WebhookSettings } from '../../services/webhook-targets.js';
import { MAY } from '../actions/permissions.js';
import { getWebhook, removeWebhook, setWebhook } from '../actions/webhooks.js';
import { requireRole } from '../auth.js';
import { ChannelWebhookPath, WebhookSettingsRequest, webhookView } from '../schemas/channels.js';
import { parseWith } from '../validation.js';

/** The address policy (https in production, the opt-in for test receivers), the secrets' keys and the resolver. */
export function channelsRouter(settings: WebhookSettings): Router {
  const router = Router();
  const path = '/v1/channels/:channel/webhook';

  router.put(path, requireRole(...MAY.manageWebhooks), async (req, res) => {
    const { channel } = parseWith(ChannelWebhookPath, req.params, 'path');
    const body = parseWith(WebhookSettingsRequest, req.body, 'body');
    const { webhook, created } = await setWebhook(settings, channel, body);
    res.status(created ? 201 : 200).json(webhookView(channel, webhook));
  });

  router.get(path, requireRole(...MAY.manageWebhooks), async (req, res) => {
    const { channel } = parseWith(ChannelWebhookPath, req.params, 'path');
    res.json(webhookView(channel, await getWebhook(channel)));
  });

  router.delete(path, requireRole(...MAY.manageWebhooks), async (req, res) => {
    const { channel } = parseWith(ChannelWebhookPath, req.params, 'path');
    await removeWebhook(channel);
    res.status(204).end();
  });

  return router;
}
