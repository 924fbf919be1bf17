/**
 * The support console in a real browser (headless Chromium, test/support/browser.ts) against the API with a
 * worker, FerretDB and Temporal: who may sign in, finding an order by each key, its page, CSRF, signing out.
 * Each screen is saved under test-output/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KEYS, startApi, type ApiCall, type ApiHarness } from '../api/harness.js';
import { launchChromium, screenshot } from '../support/browser.js';
import { BERLIN_ADDRESS, PLACES, uniqueId } from '../support/fixtures.js';
import { expectMessagesTo, uniqueAddress } from '../support/mail.js';

const WAREHOUSE_ID = 'wh-console-berlin';

let harness: ApiHarness;
let api: ApiCall;
let browser: Browser;
let order: Awaited<ReturnType<typeof allocatedOrder>>;

beforeAll(async () => {
  // Delivered orders take returns for 30 days (the tests' default policy has no return window).
  harness = await startApi({ database: 'console', worker: true, orderPolicy: { returnWindowMs: 30 * 86_400_000 } });
  api = harness.api;
  browser = await launchChromium();
  expect((await api('PUT', `/v1/warehouses/${WAREHOUSE_ID}`, KEYS.admin, { name: 'Berlin', ...PLACES.berlin })).status).toBe(201);
  order = await allocatedOrder();
});

afterAll(async () => {
  await browser?.close();
  await harness?.close();
});

/** An order of 2 units placed through the channel API (the token decides its payment), once it has reached `status`. */
async function placedOrder(status: string, token = 'tok_ok') {
  const sku = uniqueId('SKU');
  expect((await api('PUT', `/v1/inventory/${sku}/${WAREHOUSE_ID}`, KEYS.warehouse, { onHand: 5 })).status).toBe(200);
  const externalId = uniqueId('WEB');
  const customerId = uniqueId('cust');
  const email = uniqueAddress('erika');
  const placed = await api('POST', '/v1/orders', KEYS.web, {
    externalId,
    customer: { id: customerId, email, name: 'Erika Mustermann' },
    shippingAddress: BERLIN_ADDRESS,
    lines: [{ sku, quantity: 2, unitPrice: 1250 }],
    currency: 'EUR',
    payment: { token },
  });
  expect(placed.status).toBe(202);
  const { orderId } = placed.body;
  await waitForStatus(orderId, status);
  return { orderId, externalId, customerId, email, sku };
}

async function waitForStatus(orderId: string, status: string) {
  for (const deadline = Date.now() + 20_000; ; ) {
    const read = await api('GET', `/v1/orders/${orderId}`, KEYS.support);
    if (read.body.status === status) return read.body;
    if (Date.now() > deadline) throw new Error(`order ${orderId} is ${read.body.status}, not ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const allocatedOrder = () => placedOrder('allocated');

async function newPage(width = 1280): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: harness.baseUrl, viewport: { width, height: 900 } });
  return { context, page: await context.newPage() };
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.goto('/console/sign-in');
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function search(page: Page, text: string): Promise<void> {
  await page.getByLabel('Order id, external id, customer id or email').fill(text);
  await page.getByRole('button', { name: 'Search' }).click();
}

describe('signing in', () => {
  it('sends a signed-out visitor to sign in, and back to the page asked for afterwards', async () => {
    const { context, page } = await newPage();
    await page.goto(`/console/orders/${order.orderId}`);
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    await screenshot(page, 'sign-in');
    await page.getByLabel('API key').fill(KEYS.support);
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(new URL(page.url()).pathname).toBe(`/console/orders/${order.orderId}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(`Order ${order.externalId}`);
    await context.close();
  });

  it('refuses a channel key and an unknown key, and keeps no session for them', async () => {
    const { context, page } = await newPage();
    await signIn(page, KEYS.web);
    expect(await page.getByRole('alert').textContent()).toMatch(/channel key cannot open the console/);
    await signIn(page, 'not-a-key-at-all-0123456789');
    expect(await page.getByRole('alert').textContent()).toMatch(/not valid/);
    await page.goto('/console');
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    expect((await context.cookies()).map((cookie) => cookie.name)).not.toContain('oms_console');
    await context.close();
  });

  it('keeps the session in an HttpOnly, SameSite=Strict cookie that holds no API key', async () => {
    const { context, page } = await newPage();
    await signIn(page, KEYS.support);
    const session = (await context.cookies()).find((cookie) => cookie.name === 'oms_console');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(session!.value).not.toContain(KEYS.support);
    expect(await page.evaluate(() => document.cookie)).not.toContain('oms_console');
    await context.close();
  });

  it('refuses a state-changing request without the CSRF token of this browser', async () => {
    const { context, page } = await newPage();
    await signIn(page, KEYS.support);
    // Signing out is a POST: without a token, or with one that is not this browser's, it is refused ...
    expect((await page.request.post('/console/sign-out', { form: {}, maxRedirects: 0 })).status()).toBe(403);
    const forged = await page.request.post('/console/sign-out', { form: { _csrf: 'f'.repeat(64) + '.' + 'a'.repeat(64) }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    await page.goto('/console');
    expect(new URL(page.url()).pathname).toBe('/console');
    // ... and with the form's own token it works.
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    await page.goto('/console');
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    await context.close();
  });
});

/** The status shown in the order's live details. */
const shownStatus = (page: Page) => page.locator('#order-live .title-row .status').textContent();

describe('acting on an order', () => {
  it('approves a held order, and an open page of it shows the allocation without a reload', async () => {
    const held = await placedOrder('awaiting_review', 'tok_review');
    const { context, page: watching } = await newPage();
    await signIn(watching, KEYS.support);
    await watching.goto(`/console/orders/${held.orderId}`);
    expect(await shownStatus(watching)).toBe('awaiting review');
    await watching.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));

    const acting = await context.newPage();
    await acting.goto(`/console/orders/${held.orderId}`);
    await acting.getByLabel('Approve: allocate and ship').check();
    await acting.getByLabel('Note (optional)').fill('Customer verified by phone');
    await acting.getByRole('button', { name: 'Decide…' }).click();
    expect(await acting.locator('main p').first().textContent()).toMatch(/^Approve order .*: it goes on to allocation\.$/);
    await screenshot(acting, 'confirm');
    await acting.getByRole('button', { name: 'Yes, go ahead' }).click();
    expect(await acting.getByRole('status').textContent()).toMatch(/decision was accepted/);

    await watching.waitForFunction(() => document.querySelector('#order-live .title-row .status')?.textContent === 'allocated', null, { timeout: 20_000 });
    expect(await watching.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
    expect(await watching.locator('#order-live').textContent()).toMatch(/Customer verified by phone|approved/i);
    expect(await watching.getByRole('button', { name: 'Decide…' }).count()).toBe(0);
    await context.close();
  });

  it('cancels one unit: the confirmation names it, and the page shows the units cancelled and their value voided', async () => {
    const { orderId } = await allocatedOrder();
    const { context, page } = await newPage();
    await signIn(page, KEYS.support);
    await page.goto(`/console/orders/${orderId}`);
    await page.getByLabel(/^L1: /).first().fill('1');
    await page.getByLabel('Reason').first().fill('Customer wants only one');
    await page.getByRole('button', { name: 'Cancel…' }).click();
    expect(await page.locator('main p').first().textContent()).toMatch(/^Cancel 1 x SKU-\S+ of order \S+, because: Customer wants only one\.$/);
    await page.getByRole('button', { name: 'Yes, go ahead' }).click();
    expect(await page.getByRole('status').textContent()).toMatch(/cancellation was accepted; the order is now allocated/);
    await page.waitForFunction(() => /Voided\s*12\.50 EUR/.test(document.querySelector('#order-live')?.textContent ?? ''), null, { timeout: 20_000 });
    const view = (await api('GET', `/v1/orders/${orderId}`, KEYS.support)).body;
    expect(view.lines[0].cancelledQuantity).toBe(1);
    expect(view.payment.voided).toBe(1250);
    await context.close();
  });

  it('offers to cancel only units that have not shipped, and no cancellation once everything has', async () => {
    // Two lines from two warehouses: the Munich parcel ships first, the Berlin one can still be cancelled.
    const munich = 'wh-console-munich';
    expect([200, 201]).toContain((await api('PUT', `/v1/warehouses/${munich}`, KEYS.admin, { name: 'Munich', ...PLACES.munich })).status);
    const [berlinSku, munichSku] = [uniqueId('SKU'), uniqueId('SKU')];
    expect((await api('PUT', `/v1/inventory/${berlinSku}/${WAREHOUSE_ID}`, KEYS.admin, { onHand: 5 })).status).toBe(200);
    expect((await api('PUT', `/v1/inventory/${munichSku}/${munich}`, KEYS.admin, { onHand: 5 })).status).toBe(200);
    const placed = await api('POST', '/v1/orders', KEYS.web, {
      externalId: uniqueId('WEB'),
      customer: { id: uniqueId('cust'), email: uniqueAddress('erika') },
      shippingAddress: BERLIN_ADDRESS,
      lines: [{ sku: berlinSku, quantity: 2, unitPrice: 1250 }, { sku: munichSku, quantity: 2, unitPrice: 990 }],
      currency: 'EUR',
      payment: { token: 'tok_ok' },
    });
    expect(placed.status).toBe(202);
    const { orderId } = placed.body;
    const { shipments } = await waitForStatus(orderId, 'allocated');
    const shipmentFrom = (warehouseId: string) => shipments.find((s: { warehouseId: string }) => s.warehouseId === warehouseId).shipmentId;
    expect((await api('POST', `/v1/shipments/${shipmentFrom(munich)}/events`, KEYS.warehouse, { type: 'shipped' })).status).toBe(202);
    await waitForStatus(orderId, 'partially_shipped');

    const { context, page } = await newPage();
    await signIn(page, KEYS.support);
    await page.goto(`/console/orders/${orderId}`);
    const cancelForm = page.locator('form', { has: page.getByRole('button', { name: 'Cancel…' }) });
    expect(await cancelForm.getByLabel(/^L1: /).getAttribute('max')).toBe('2');
    expect(await cancelForm.getByLabel(/^L2: /).count()).toBe(0);
    expect(await cancelForm.locator('.hint').textContent()).toMatch(/has left the warehouse: choose units of lines that have not shipped/);
    await screenshot(page, 'cancel-unshipped-lines');

    expect((await api('POST', `/v1/shipments/${shipmentFrom(WAREHOUSE_ID)}/events`, KEYS.warehouse, { type: 'shipped' })).status).toBe(202);
    await waitForStatus(orderId, 'shipped');
    await page.reload();
    expect(await page.getByRole('button', { name: 'Cancel…' }).count()).toBe(0);
    expect(await page.locator('#order-actions').getByLabel(/^L\d: /).count()).toBe(0);
    await context.close();
  });

  it('changes the shipping address before anything shipped: the confirmation shows the new address, the order takes it', async () => {
    const { orderId } = await allocatedOrder();
    const { context, page } = await newPage();
    await signIn(page, KEYS.support);
    await page.goto(`/console/orders/${orderId}`);
    await page.getByLabel('Street and number').fill('Karl-Marx-Allee 1');
    await page.getByLabel('Postal code').fill('10178');
    await page.getByRole('button', { name: 'Change address…' }).click();
    expect(await page.locator('main p').first().textContent()).toMatch(/^Ship order \S+ to Erika Mustermann, Karl-Marx-Allee 1, 10178 Berlin, DE\.$/);
    await page.getByRole('button', { name: 'Yes, go ahead' }).click();
    expect(await page.getByRole('status').textContent()).toMatch(/new address was accepted/);
    await vi.waitFor(async () => expect((await api('GET', `/v1/orders/${orderId}`, KEYS.support)).body.shippingAddress).toMatchObject({ line1: 'Karl-Marx-Allee 1', postalCode: '10178' }), { timeout: 20_000 });
    await context.close();
  });

  it('opens a return of a delivered order for the units chosen', async () => {
    const { orderId } = await allocatedOrder();
    const { shipmentId } = (await api('GET', `/v1/orders/${orderId}`, KEYS.support)).body.shipments[0];
    for (const type of ['shipped', 'delivered']) expect((await api('POST', `/v1/shipments/${shipmentId}/events`, KEYS.warehouse, { type })).status).toBe(202);
    await waitForStatus(orderId, 'delivered');
    const { context, page } = await newPage();
    await signIn(page, KEYS.support);
    await page.goto(`/console/orders/${orderId}`);
    expect(await page.getByRole('button', { name: 'Cancel…' }).count()).toBe(0);
    await page.locator('#order-actions').getByLabel(/^L1: /).fill('1');
    await page.locator('#order-actions').getByLabel('Reason').fill('Does not fit');
    await page.getByRole('button', { name: 'Open return…' }).click();
    expect(await page.locator('main p').first().textContent()).toMatch(/^Open a return of 1 x SKU-\S+ for order \S+, because: Does not fit\.$/);
    await page.getByRole('button', { name: 'Yes, go ahead' }).click();
    expect(await page.getByRole('status').textContent()).toMatch(/return was opened/);
    const view = await waitForStatus(orderId, 'partially_returned');
    expect(view.returns[0]).toMatchObject({ status: 'requested', reason: 'Does not fit', lines: [{ lineId: 'L1', quantity: 1 }] });
    await context.close();
  });

  it('shows a refusal (409) as a readable message and changes nothing', async () => {
    const { orderId } = await allocatedOrder();
    const { context, page } = await newPage();
    await signIn(page, KEYS.support);
    await page.goto(`/console/orders/${orderId}`);
    // The warehouse ships it while the page is open: the address form is now stale.
    const { shipmentId } = (await api('GET', `/v1/orders/${orderId}`, KEYS.support)).body.shipments[0];
    expect((await api('POST', `/v1/shipments/${shipmentId}/events`, KEYS.warehouse, { type: 'shipped' })).status).toBe(202);
    await page.getByLabel('Street and number').fill('Karl-Marx-Allee 1');
    await page.getByRole('button', { name: 'Change address…' }).click();
    const response = page.waitForResponse((r) => r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Yes, go ahead' }).click();
    expect((await response).status()).toBe(409);
    expect(await page.getByRole('alert').textContent()).toMatch(/^Conflict The shipping address of order \S+ can no longer change: .+\.$/);
    await screenshot(page, 'refusal');
    expect((await api('GET', `/v1/orders/${orderId}`, KEYS.support)).body.shippingAddress.line1).toBe(BERLIN_ADDRESS.line1);
    await context.close();
  });

  it('offers no action to the admin role that only support may take', async () => {
    const { orderId } = await allocatedOrder();
    const { context, page } = await newPage();
    await signIn(page, KEYS.admin);
    await page.goto(`/console/orders/${orderId}`);
    expect(await page.getByRole('button', { name: 'Cancel…' }).count()).toBe(0);
    const forced = await page.request.post(`/console/orders/${orderId}/cancel`, { form: { _csrf: await page.locator('input[name=_csrf]').first().inputValue(), reason: 'x', confirmed: 'yes' } });
    expect(forced.status()).toBe(403);
    expect((await api('GET', `/v1/orders/${orderId}`, KEYS.support)).body.status).toBe('allocated');
    await context.close();
  });
});

describe('the warehouse screen', () => {
  it('ships with a tracking number and delivers, and then receives the return the customer sends back', async () => {
    const { orderId, externalId } = await allocatedOrder();
    const { context, page } = await newPage();
    await signIn(page, KEYS.warehouse);
    expect(new URL(page.url()).pathname).toBe('/console/warehouse');
    await page.getByLabel('Warehouse').selectOption(WAREHOUSE_ID);
    await page.getByRole('button', { name: 'Show' }).click();
    const card = page.locator('.card', { hasText: `Order ${externalId}` });
    await card.getByLabel(/Tracking number/).fill('TRACK-CONSOLE-1');
    await screenshot(page, 'warehouse');
    await card.getByRole('button', { name: 'Mark shipped' }).click();
    expect(await page.getByRole('status').textContent()).toMatch(/marked shipped/);
    expect(await page.locator('.card', { hasText: `Order ${externalId}` }).count()).toBe(0);
    expect((await waitForStatus(orderId, 'shipped')).shipments[0].trackingNumber).toBe('TRACK-CONSOLE-1');
    await page.reload();

    await page.locator('.card', { hasText: `Order ${externalId}` }).getByRole('button', { name: 'Mark delivered' }).click();
    expect(await page.getByRole('status').textContent()).toMatch(/marked delivered/);
    await waitForStatus(orderId, 'delivered');
    // Shipping it again is refused, and said so.
    const { shipmentId } = (await api('GET', `/v1/orders/${orderId}`, KEYS.support)).body.shipments[0];
    const again = await page.request.post(`/console/warehouse/shipments/${shipmentId}/shipped`, { form: { _csrf: await page.locator('input[name=_csrf]').first().inputValue(), back: `/console/warehouse?warehouse=${WAREHOUSE_ID}` } });
    expect(again.status()).toBe(409);

    const opened = await api('POST', `/v1/orders/${orderId}/returns`, KEYS.support, { lines: [{ lineId: 'L1', quantity: 1 }], reason: 'Too small' });
    expect(opened.status).toBe(202);
    const { returnId } = (await waitForStatus(orderId, 'partially_returned')).returns[0];
    await page.getByLabel('Return id').fill(returnId);
    await page.getByRole('button', { name: 'Find' }).click();
    expect(await page.getByLabel(/announced/).inputValue()).toBe('1');
    await page.getByRole('button', { name: 'Record receipt' }).click();
    expect(await page.getByRole('status').textContent()).toMatch(/recorded as received/);
    await vi.waitFor(async () => expect((await api('GET', `/v1/orders/${orderId}`, KEYS.support)).body.returns[0].status).toMatch(/received|refunded/), { timeout: 20_000 });
    await context.close();
  });

  it('is closed to support, and the orders pages to the warehouse role', async () => {
    const { context, page } = await newPage();
    await signIn(page, KEYS.support);
    expect((await page.goto('/console/warehouse'))?.status()).toBe(403);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, KEYS.warehouse);
    expect((await page.goto(`/console/orders/${order.orderId}`))?.status()).toBe(403);
    await context.close();
  });
});

describe('the inventory screen', () => {
  it('shows what runs low, adjusts stock with a reason once however often the form is sent, and lists the ledger', async () => {
    const sku = uniqueId('LOW');
    expect((await api('PUT', `/v1/inventory/${sku}/${WAREHOUSE_ID}`, KEYS.warehouse, { onHand: 2 })).status).toBe(200);
    expect((await api('PUT', `/v1/inventory/${sku}/settings`, KEYS.admin, { lowStockThreshold: 5 })).status).toBe(200);
    const { context, page } = await newPage();
    await signIn(page, KEYS.admin);
    await page.goto('/console/inventory?low=1');
    // The low list pages through SKUs in order; ours is on one of its pages.
    for (let more = true; more && (await page.getByRole('link', { name: sku, exact: true }).count()) === 0; ) {
      const next = page.getByRole('link', { name: 'More SKUs' });
      more = (await next.count()) > 0;
      if (more) await next.click();
    }
    await screenshot(page, 'inventory');
    await page.getByRole('link', { name: sku, exact: true }).click();
    expect(await page.locator('main').textContent()).toContain('running low');

    await page.getByLabel('Warehouse').selectOption(WAREHOUSE_ID);
    await page.getByLabel('Units (positive adds, negative removes)').fill('10');
    await page.getByLabel('Reason').fill('Delivery from the supplier');
    const form = Object.fromEntries(await page.locator('form.action input, form.action select').evaluateAll((fields) => fields.map((f) => [(f as HTMLInputElement).name, (f as HTMLInputElement).value])));
    await page.getByRole('button', { name: 'Adjust' }).click();
    expect(await page.getByRole('status').textContent()).toMatch(/in the ledger/);
    // The same form sent again (a double click, a resend) adjusts nothing more.
    expect((await page.request.post(`/console/inventory/${sku}/adjustments`, { form })).status()).toBe(200);
    expect((await api('GET', `/v1/inventory/${sku}`, KEYS.support)).body.available).toBe(12);
    const ledger = await page.locator('table.ledger tbody tr').allTextContents();
    expect(ledger[0]).toMatch(/receive \+10.*Delivery from the supplier/);
    expect(await page.locator('main').textContent()).not.toContain('running low');
    await context.close();
  });

  it('is for the admin role only', async () => {
    const { context, page } = await newPage();
    await signIn(page, KEYS.support);
    expect((await page.goto('/console/inventory'))?.status()).toBe(403);
    await context.close();
  });
});

describe("the customer's tracking page", () => {
  it('opens from the link in the real email and shows the parcel with its tracking number, and nothing the emails did not say', async () => {
    const { orderId, externalId, email, sku } = await allocatedOrder();
    const { shipmentId, trackingNumber } = (await api('GET', `/v1/orders/${orderId}`, KEYS.support)).body.shipments[0];
    expect((await api('POST', `/v1/shipments/${shipmentId}/events`, KEYS.warehouse, { type: 'shipped' })).status).toBe(202);
    const [shippedEmail] = (await expectMessagesTo(email, 2)).filter((message) => /on its way/.test(message.Subject));
    const link = /Follow your order: (\S+)/.exec(shippedEmail.Text)?.[1];
    expect(link).toMatch(/\/track\/ord_[0-9a-f]{24}\.[\w-]{22}$/);

    const { context, page } = await newPage(390);
    await page.goto(new URL(link!).pathname);
    const text = await page.locator('main').textContent();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(`Your order ${externalId}`);
    expect(text).toContain('Shipped');
    expect(text).toContain(trackingNumber);
    expect(text).toContain(shippedEmail.Subject);
    for (const unsaid of [sku, orderId, 'authorized', 'Erika', 'Unter den Linden']) expect(text).not.toContain(unsaid);
    await screenshot(page, 'tracking-phone');

    const token = new URL(link!).pathname.split('/').pop()!;
    const tampered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    for (const path of [`/track/${tampered}`, `/track/${orderId}`, `/track/${token.replace(orderId, 'ord_000000000000000000000000')}`]) {
      const response = await page.request.get(path);
      expect(response.status(), path).toBe(404);
      expect(await response.text()).toBe('Not found');
    }
    await context.close();
  });
});

describe('finding an order', () => {
  it('finds it by order id, external id, customer id and email, and lists it by status, newest first', async () => {
    const { context, page } = await newPage();
    await signIn(page, KEYS.support);
    for (const key of [order.orderId, order.externalId, order.customerId, order.email.toUpperCase()]) {
      await search(page, key);
      const rows = page.locator('table.orders tbody tr');
      expect(await rows.count(), `searching ${key}`).toBe(1);
      expect(await rows.first().textContent()).toContain(order.externalId);
    }
    await page.getByLabel('Order id, external id, customer id or email').fill('');
    await page.getByLabel('Status').selectOption('allocated');
    await page.getByRole('button', { name: 'Search' }).click();
    const listed = await page.locator('table.orders tbody tr').allTextContents();
    expect(listed.some((row) => row.includes(order.externalId))).toBe(true);
    expect(listed.every((row) => row.includes('allocated'))).toBe(true);
    await screenshot(page, 'orders');
    await search(page, uniqueId('nobody'));
    expect(await page.getByText('No orders match.').count()).toBe(1);
    await context.close();
  });

  it('lists the orders that need a person: a held one is there, an allocated one is not', async () => {
    const held = await placedOrder('awaiting_review', 'tok_review');
    const { context, page } = await newPage();
    await signIn(page, KEYS.support);
    await page.getByLabel('Needs a person').check();
    await page.getByRole('button', { name: 'Search' }).click();
    const rows = await page.locator('table.orders tbody tr').allTextContents();
    expect(rows.some((row) => row.includes(held.externalId))).toBe(true);
    expect(rows.some((row) => row.includes(order.externalId))).toBe(false);
    await context.close();
  });

  it("shows the order's lines, payment, shipment with its tracking number, timeline, emails and its workflow", async () => {
    const { context, page } = await newPage();
    await signIn(page, KEYS.support);
    await search(page, order.externalId);
    await page.getByRole('link', { name: order.externalId }).click();
    const view = (await api('GET', `/v1/orders/${order.orderId}`, KEYS.support)).body;
    const text = await page.locator('main').textContent();
    expect(text).toContain('25.00 EUR');
    expect(text).toContain(view.shipments[0].trackingNumber);
    for (const entry of view.timeline) expect(text).toContain(entry.message);
    expect(await page.locator('.emails li').count()).toBeGreaterThan(0);
    const temporal = page.getByRole('link', { name: /Temporal UI/ });
    expect(await temporal.getAttribute('href')).toBe(`http://localhost:8233/namespaces/default/workflows/order-${order.orderId}`);
    await screenshot(page, 'order');
    await context.close();
  });

  it('fits a phone: the order page has no horizontal scroll at 390 px', async () => {
    const { context, page } = await newPage(390);
    await signIn(page, KEYS.support);
    await page.goto(`/console/orders/${order.orderId}`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'order-phone');
    await context.close();
  });

  it('answers an unknown order with a readable 404 page', async () => {
    const { context, page } = await newPage();
    await signIn(page, KEYS.support);
    const response = await page.goto('/console/orders/ord_000000000000000000000000');
    expect(response?.status()).toBe(404);
    expect(await page.getByRole('alert').textContent()).toMatch(/was not found/);
    await context.close();
  });
});
