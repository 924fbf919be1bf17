/** The suite's shared servers (test/global-setup.ts) are real and usable. */
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { Connection } from '@temporalio/client';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TOOL_VERSIONS } from '../../stack/tool-versions.js';

describe('global setup', () => {
  describe('FerretDB', () => {
    let connection: mongoose.Connection;
    beforeAll(async () => {
      connection = await mongoose.createConnection(inject('mongoUri')).asPromise();
    });
    afterAll(() => connection?.close());

    it('stores documents and enforces unique indexes with the MongoDB error code', async () => {
      const collection = connection.collection(`stack_probe_${Date.now()}_${process.pid}`);
      await collection.createIndex({ sku: 1 }, { unique: true });
      await collection.insertOne({ sku: 'SKU-1', quantity: 3 });
      expect(await collection.findOne({ sku: 'SKU-1' })).toMatchObject({ quantity: 3 });
      await expect(collection.insertOne({ sku: 'SKU-1', quantity: 4 })).rejects.toMatchObject({ code: 11000 });
      await collection.drop();
    });

    it('is also announced through the environment', () => {
      expect(process.env.OMS_TEST_MONGODB_URI).toBe(inject('mongoUri'));
      expect(inject('mongoUri')).toMatch(/\/oms_test$/);
    });
  });

  describe('Temporal dev server', () => {
    it('serves the default namespace with our search attributes registered', async () => {
      const connection = await Connection.connect({ address: inject('temporalAddress') });
      try {
        const { namespaceInfo } = await connection.workflowService.describeNamespace({ namespace: 'default' });
        expect(namespaceInfo?.name).toBe('default');
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
        expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(['OrderId', 'OrderStatus']));
      } finally {
        await connection.close();
      }
    });

    it('is also announced through the environment', () => {
      expect(process.env.OMS_TEST_TEMPORAL_ADDRESS).toBe(inject('temporalAddress'));
      expect(process.env.OMS_TEMPORAL_TEST_SERVER_BIN).toMatch(/temporal-test-server$/);
    });
  });

  describe('schemathesis', () => {
    it('runs from the tools cache, at the pinned version', () => {
      // bin/st is our launcher: pip's own scripts name the staging dir the venv was built in.
      const version = spawnSync(process.env.OMS_SCHEMATHESIS_BIN!, ['--version'], { encoding: 'utf8' });
      expect(version.status, version.stderr).toBe(0);
      expect(version.stdout).toContain(`version ${TOOL_VERSIONS.schemathesis}`);
    });
  });

  describe('Mailpit', () => {
    it('speaks SMTP and answers its HTTP API, without asking the internet for its latest version', async () => {
      const { hostname, port } = new URL(inject('smtpUrl'));
      const greeting = await new Promise<string>((resolve, reject) => {
        const socket = net.connect({ host: hostname, port: Number(port) });
        socket.once('data', (data) => {
          socket.end('QUIT\r\n');
          resolve(data.toString());
        });
        socket.once('error', reject);
      });
      expect(greeting).toMatch(/^220 /);
      const info = await (await fetch(`${inject('mailpitApiUrl')}/api/v1/info`)).json();
      expect(info).toMatchObject({ Version: TOOL_VERSIONS.mailpit, LatestVersion: 'disabled' });
    });

    it('serves its web UI: the stylesheet, script and icon fonts the page loads (built at install, embedded)', async () => {
      const base = `${inject('mailpitApiUrl')}/`;
      const load = async (url: string | URL) => {
        const response = await fetch(url);
        return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
      };
      const page = await load(base);
      expect(page.status).toBe(200);
      const stylesheets = [...page.body.matchAll(/<link rel=stylesheet href="([^"]+)"/g)].map((match) => match[1]);
      const scripts = [...page.body.matchAll(/<script src="([^"]+)"/g)].map((match) => match[1]);
      expect(stylesheets).toEqual([expect.stringMatching(/^\/dist\/app\.css\b/)]);
      expect(scripts).toEqual([expect.stringMatching(/^\/dist\/app\.js\b/)]);

      const css = await load(new URL(stylesheets[0], base));
      expect(css).toMatchObject({ status: 200, type: expect.stringMatching(/^text\/css/) });
      expect(css.body.length).toBeGreaterThan(100_000); // Bootstrap and all
      const js = await load(new URL(scripts[0], base));
      expect(js).toMatchObject({ status: 200, type: expect.stringMatching(/^application\/javascript/) });
      expect(js.body.length).toBeGreaterThan(100_000); // Vue and the app

      const fonts = [...css.body.matchAll(/url\("(\.\/[^"]+\.woff2?)[?"]/g)].map((match) => match[1]);
      expect(fonts.length).toBeGreaterThan(0);
      for (const font of fonts) {
        expect(await load(new URL(font, new URL(stylesheets[0], base))), font).toMatchObject({ status: 200, type: expect.stringMatching(/^font\/woff/) });
      }
      // The API docs page (/api/v1/) and its viewer.
      expect(await load(new URL('api/v1/', base))).toMatchObject({ status: 200, body: expect.stringContaining('../../dist/docs.js') });
      expect((await load(new URL('dist/docs.js', base))).body.length).toBeGreaterThan(100_000);
    });

    it('is also announced through the environment', () => {
      expect(process.env.OMS_TEST_SMTP_URL).toBe(inject('smtpUrl'));
      expect(process.env.OMS_TEST_MAILPIT_API_URL).toBe(inject('mailpitApiUrl'));
      expect(inject('smtpUrl')).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/);
    });
  });
});
