// The bulk intake against its real HTTP server, in-process and without Kafka: concurrent 8 MiB
// bodies count against the byte bound while they are read and while their ratings wait for the
// acknowledgement, and past it they are shed with 503 before their bodies are read.
import { request, type IncomingHttpHeaders } from 'node:http';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { startHttpServer, type HttpServer } from '../common/http.ts';
import { catalogFromSpec } from '../ratings/catalog.ts';
import type { Rating } from '../ratings/rating.ts';
import { BodyBudget } from './body-budget.ts';
import { BULK_PATH, bulkRoute } from './bulk.ts';
import { IdempotencyWindow } from './idempotency.ts';
import { LoadShedder, shedEarly } from './shedding.ts';

const MiB = 2 ** 20;
const BODY_BYTES = 8 * MiB;
const catalog = catalogFromSpec({
  voices: ['Darth Vader', 'Joan of Arc', 'Beyoncé'],
  battles: ['Zeus vs Thor'],
  scale: ['Hated', 'Meh', 'Liked'],
});

/** An NDJSON body of exactly `bytes`: a few ratings, then blank padding (blank lines are skipped). */
function paddedBody(tag: string, bytes = BODY_BYTES): Buffer {
  const lines = [0, 1, 2].map((i) =>
    JSON.stringify({
      id: `${tag}-${i}`,
      battle: 'Zeus vs Thor',
      voices: ['Beyoncé', 'Joan of Arc'],
      rating: i,
      researcher: 'Dr. Ada',
    }),
  );
  const head = `${lines.join('\n')}\n`;
  return Buffer.from(head + ' '.repeat(bytes - Buffer.byteLength(head)));
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

let server: HttpServer;
let budget: BodyBudget;
let shedForBytes = 0;
const published: Rating[] = [];
let acks: (() => void)[] = [];

/**
 * POSTs to the bulk route: `chunks` written one after the other, each once `before(i)` resolves
 * (chunked unless `contentLength` is given). Resolves with the answer as soon as it arrives, while
 * the body may still be being written.
 */
function post(
  chunks: Buffer[],
  {
    contentLength,
    headers = {},
    before = async () => {},
  }: { contentLength?: number; headers?: Record<string, string>; before?: (i: number) => Promise<void> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port: server.port,
      method: 'POST',
      path: BULK_PATH,
      agent: false,
      headers: {
        'content-type': 'application/x-ndjson',
        ...(contentLength !== undefined && { 'content-length': contentLength }),
        ...headers,
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(text) as Answer['body'] }),
      );
    });
    // The server may answer and stop reading before the whole body is written.
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reject(err);
    });
    (async () => {
      for (const [i, chunk] of chunks.entries()) {
        await before(i);
        if (req.destroyed) return;
        req.write(chunk);
      }
      req.end();
    })().catch(reject);
  });
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

beforeAll(async () => {
  // Three 8 MiB bodies fit, a fourth does not.
  budget = new BodyBudget({
    maxBytes: 3 * BODY_BYTES + MiB,
    retryAfterSeconds: 2,
    onShed: () => shedForBytes++,
  });
  const shedder = new LoadShedder({ maxPending: 50_000, retryAfterSeconds: 2 });
  server = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
    notReadyReason: () => undefined,
    gate: shedEarly({ [BULK_PATH]: [shedder, budget] }),
    rawBodyRoutes: bulkRoute({
      logger: pino({ level: 'silent' }),
      catalog: () => catalog,
      // Kafka, acknowledging when the test says so.
      publish: (ratings) => {
        published.push(...ratings);
        return new Promise<void>((resolve) => acks.push(resolve));
      },
      unavailableReason: () => undefined,
      ackTimeoutMs: 30_000,
      maxRatings: 10_000,
      maxBytes: BODY_BYTES + MiB,
      shedder,
      bodyBudget: budget,
      idempotency: new IdempotencyWindow({ ttlMs: 60_000, maxKeys: 1000 }),
    }),
  });
});
afterAll(() => server.close());
beforeEach(() => {
  published.length = 0;
  acks = [];
  shedForBytes = 0;
});
const ackAll = () => {
  for (const ack of acks.splice(0)) ack();
};
afterEach(async () => {
  await until('every body released', () => {
    ackAll();
    return budget.held === 0;
  });
});

describe('bulk bodies bounded by bytes', () => {
  it('sheds concurrent 8 MiB bodies past the bound with 503 and Retry-After, and loses none it took', async () => {
    const bodies = Array.from({ length: 12 }, (_, i) => paddedBody(`b${i}`));
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, budget.held)), 1);
    const answers: (Answer | undefined)[] = [];
    const all = Promise.all(
      bodies.map((body, i) =>
        post([body], { contentLength: body.length }).then((answer) => (answers[i] = answer)),
      ),
    );
    await until(
      'nine answers while three imports wait for Kafka',
      () => answers.filter(Boolean).length === 9 && acks.length === 3,
    );
    const shed = answers.filter((a): a is Answer => a !== undefined);
    for (const answer of shed) {
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBe('2');
      expect(answer.body.error).toMatch(/^overloaded: bulk bodies .* retry after 2s$/);
    }
    expect(shedForBytes).toBe(9);
    expect(budget.held).toBeLessThanOrEqual(budget.maxBytes);

    ackAll();
    await all;
    clearInterval(sampler);
    expect(peak).toBeLessThanOrEqual(budget.maxBytes);
    const taken = answers.filter((a) => a!.status === 202);
    expect(taken).toHaveLength(3);
    // Every rating acknowledged to a client is one that was handed to Kafka.
    const ids = taken.flatMap((a) => a!.body.ids as string[]);
    expect(ids).toHaveLength(9);
    expect(new Set(published.map((r) => r.id))).toEqual(new Set(ids));
    await until('the bound free again', () => budget.held === 0);
  }, 30_000);

  it('refuses a body whose Content-Length does not fit before reading any of it', async () => {
    const held = [0, 1, 2].map((i) => paddedBody(`h${i}`));
    const pending = held.map((body) => post([body], { contentLength: body.length }));
    await until('three imports waiting for Kafka', () => acks.length === 3);
    // Only the first byte is sent until the answer arrives: a server that read the body would wait for ever.
    let answered!: () => void;
    const whenAnswered = new Promise<void>((resolve) => (answered = resolve));
    const body = paddedBody('late');
    const answer = await post([body.subarray(0, 1), body.subarray(1)], {
      contentLength: body.length,
      before: (i) => (i === 0 ? Promise.resolve() : whenAnswered),
    }).finally(() => answered());
    expect(answer).toMatchObject({ status: 503, headers: { 'retry-after': '2' } });
    ackAll();
    expect((await Promise.all(pending)).map((a) => a.status)).toEqual([202, 202, 202]);
  }, 30_000);

  it('counts a chunked body as it arrives and stops reading it at the bound', async () => {
    const held = [0, 1, 2].map((i) => paddedBody(`c${i}`));
    const pending = held.map((body) => post([body], { contentLength: body.length }));
    await until('three imports waiting for Kafka', () => acks.length === 3);
    const body = paddedBody('chunked');
    const chunks = Array.from({ length: 8 }, (_, i) => body.subarray(i * MiB, (i + 1) * MiB));
    let answered!: () => void;
    const whenAnswered = new Promise<void>((resolve) => (answered = resolve));
    // Half the body, then nothing more until the answer: past the bound after about 1 MiB.
    const answer = await post(chunks, { before: (i) => (i < 4 ? Promise.resolve() : whenAnswered) }).finally(
      () => answered(),
    );
    expect(answer).toMatchObject({ status: 503, headers: { 'retry-after': '2' } });
    expect(budget.held).toBeLessThanOrEqual(budget.maxBytes);
    ackAll();
    expect((await Promise.all(pending)).map((a) => a.status)).toEqual([202, 202, 202]);
  }, 30_000);

  it('still takes chunked and gzip bodies, and refuses one past INTAKE_BULK_MAX_BYTES with 413', async () => {
    const body = paddedBody('small', MiB);
    const chunked = post([body.subarray(0, 1000), body.subarray(1000)]);
    const gzipped = paddedBody('zipped', MiB);
    const zipped = post([gzipSync(gzipped)], { headers: { 'content-encoding': 'gzip' } });
    await until('both imports waiting for Kafka', () => acks.length === 2);
    ackAll();
    expect((await chunked).status).toBe(202);
    expect((await zipped).status).toBe(202);

    const tooBig = paddedBody('big', BODY_BYTES + 2 * MiB);
    expect(await post([tooBig], { contentLength: tooBig.length })).toMatchObject({
      status: 413,
      body: { error: 'request entity too large' },
    });
    expect(await post([tooBig])).toMatchObject({ status: 413, body: { error: 'request entity too large' } });
  }, 30_000);
});
