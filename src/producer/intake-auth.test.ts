import express from 'express';
import type { Server } from 'node:http';
import { Registry } from 'prom-client';
import { createLogger } from '../common/logger.ts';
import type { Authorization } from '../common/access-review.ts';
import type { Authentication } from '../common/token-review.ts';
import type { RatingExperiment } from '../api/v1alpha1.ts';
import {
  intakeAudience,
  intakeAuthenticationOf,
  raterAuthentication,
  rateAccess,
  recordAsUser,
} from './intake-auth.ts';

describe('recordAsUser', () => {
  it('records a rating under the authenticated user when the body omits or repeats it', () => {
    expect(recordAsUser({ battle: 'b' }, 'alice')).toEqual({
      ok: true,
      body: { battle: 'b', researcher: 'alice' },
    });
    expect(recordAsUser({ researcher: 'alice' }, 'alice')).toEqual({
      ok: true,
      body: { researcher: 'alice' },
    });
    expect(recordAsUser([{ battle: 'b' }, { researcher: 'alice' }], 'alice')).toEqual({
      ok: true,
      body: [{ battle: 'b', researcher: 'alice' }, { researcher: 'alice' }],
    });
  });

  it('refuses a body that names another researcher, once per name', () => {
    expect(recordAsUser([{ researcher: 'bob' }, { researcher: 'bob' }], 'alice')).toEqual({
      ok: false,
      reasons: [
        'researcher "bob" is not the authenticated user "alice": omit it, ratings are recorded under the authenticated user',
      ],
    });
  });

  it('leaves what is not an object to the intake validation', () => {
    expect(recordAsUser('text', 'alice')).toEqual({ ok: true, body: 'text' });
    expect(recordAsUser(null, 'alice')).toEqual({ ok: true, body: null });
  });
});

describe('intakeAuthenticationOf', () => {
  const exp = (intake?: object) => ({ spec: { producer: { intake } } }) as unknown as RatingExperiment;
  it('defaults to None and fails closed on unknown values', () => {
    expect(intakeAuthenticationOf(exp())).toBe('None');
    expect(intakeAuthenticationOf(exp({ authentication: 'None' }))).toBe('None');
    expect(intakeAuthenticationOf(exp({ authentication: 'Kubernetes' }))).toBe('Kubernetes');
    expect(intakeAuthenticationOf(exp({ authentication: 'Basic' }))).toBe('Kubernetes');
  });
});

describe('intakeAudience', () => {
  it("is the experiment's own, so that a token for it is good for nothing else", () => {
    expect(intakeAudience({ namespace: 'appdev', name: 'erb' })).toBe('ratings.conglombo.io/appdev/erb');
  });
});

describe('raterAuthentication', () => {
  let server: Server;
  let mode: 'None' | 'Kubernetes' = 'Kubernetes';
  let authn: Authentication = { authenticated: true, user: { username: 'alice' } };
  let authz: Authorization = { allowed: true, reason: '' };
  const asked: unknown[] = [];
  const audiences: (string | undefined)[] = [];
  const registry = new Registry();

  beforeAll(async () => {
    const app = express();
    app.use(express.json());
    app.use(
      '/api/ratings',
      raterAuthentication({
        auth: {
          authenticate: async (_token, audience) => {
            audiences.push(audience);
            return authn;
          },
          authorize: async (user, attributes) => {
            asked.push({ user, attributes });
            return authz;
          },
        },
        experiment: { namespace: 'appdev', name: 'erb' },
        mode: () => mode,
        logger: createLogger('test'),
        registry,
      }),
    );
    app.post('/api/ratings', (req, res) => {
      res.status(202).json({ recorded: req.body });
    });
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const post = async (body: unknown, authorization?: string) => {
    const { port } = server.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/api/ratings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization && { authorization }) },
      body: JSON.stringify(body),
    });
    return { status: res.status, auth: res.headers.get('www-authenticate'), body: await res.json() };
  };

  it('passes everything through while the experiment says None', async () => {
    mode = 'None';
    expect(await post({ researcher: 'anyone' })).toMatchObject({
      status: 202,
      body: { recorded: { researcher: 'anyone' } },
    });
    mode = 'Kubernetes';
  });

  it('asks for create on ratingexperiments/ratings of the experiment, and records the user', async () => {
    asked.length = 0;
    expect(await post({ rating: 1 }, 'Bearer t')).toMatchObject({
      status: 202,
      body: { recorded: { rating: 1, researcher: 'alice' } },
    });
    expect(asked).toEqual([
      { user: { username: 'alice' }, attributes: rateAccess({ namespace: 'appdev', name: 'erb' }) },
    ]);
    expect(audiences).toEqual(['ratings.conglombo.io/appdev/erb']);
  });

  it('answers 401, 403 and 400 with bodies that say why', async () => {
    expect(await post({})).toMatchObject({
      status: 401,
      auth: 'Bearer realm="appdev/erb", audience="ratings.conglombo.io/appdev/erb"',
      body: {
        reason: expect.stringContaining(
          'kubectl create token <serviceaccount> --audience ratings.conglombo.io/appdev/erb',
        ),
        audience: 'ratings.conglombo.io/appdev/erb',
      },
    });
    authz = { allowed: false, reason: '' };
    expect(await post({}, 'Bearer t')).toMatchObject({
      status: 403,
      body: {
        error: 'forbidden',
        reason: expect.stringContaining('user "alice" may not create ratingexperiments/ratings "erb"'),
      },
    });
    authz = { allowed: true, reason: '' };
    authn = { authenticated: false, reason: 'expired' };
    expect(await post({}, 'Bearer t')).toMatchObject({
      status: 401,
      body: {
        error: 'unauthenticated',
        reason: expect.stringMatching(/^expired; send a token for audience/),
      },
    });
    authn = { authenticated: true, user: { username: 'alice' } };
    expect(await post({ researcher: 'bob' }, 'Bearer t')).toMatchObject({
      status: 400,
      body: { error: 'invalid rating' },
    });
    const counted = (await registry.getSingleMetric('ratings_producer_intake_auth_total')!.get()).values;
    expect(Object.fromEntries(counted.map((v) => [v.labels.result, v.value]))).toMatchObject({
      unauthenticated: 2,
      forbidden: 1,
    });
  });
});
