// A real OpenID Connect provider on loopback for the browser tests (tests/e2e/test_oidc.py): oidc-provider with its
// development login form (any login name; the password is not checked), authorisation code with PKCE required,
// one confidential client. It prints {"issuer": …} on its first line once it listens on a free port of 127.0.0.1.
//
// Environment: OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI, OIDC_POST_LOGOUT_URI, OIDC_ACCOUNTS (JSON:
// {login: {claims}}; a login not in it gets only `sub`). POST /__test/tamper with body "on"/"off" makes the token
// endpoint return ID tokens whose payload was changed after signing (the relying party must refuse them).
import http from 'node:http';
import { generateKeyPair, exportJWK } from 'jose';
import Provider from 'oidc-provider';

const env = process.env;
const accounts = JSON.parse(env.OIDC_ACCOUNTS || '{}');
const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key', use: 'sig', alg: 'RS256' };
let tamper = false;

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: env.OIDC_CLIENT_ID,
    client_secret: env.OIDC_CLIENT_SECRET,
    redirect_uris: [env.OIDC_REDIRECT_URI],
    post_logout_redirect_uris: [env.OIDC_POST_LOGOUT_URI],
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  jwks: { keys: [jwk] },
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    groups: ['groups'],
  },
  async findAccount(ctx, sub) {
    return { accountId: sub, async claims() { return { ...(accounts[sub] || {}), sub }; } };
  },
  // a first-party client: no consent screen
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId,
                                                accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile groups');
    await grant.save();
    return grant;
  },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ['test-cookie-key'] },
});
provider.proxy = false;

provider.use(async (ctx, next) => {
  if (ctx.path === '/__test/tamper' && ctx.method === 'POST') {
    let body = '';
    for await (const chunk of ctx.req) body += chunk;
    tamper = body.trim() === 'on';
    ctx.body = { tamper };
    return;
  }
  await next();
  if (tamper && ctx.path === '/token' && ctx.body && typeof ctx.body === 'object' && ctx.body.id_token) {
    const [header, payload, signature] = ctx.body.id_token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    claims.sub = 'someone-else';
    ctx.body = { ...ctx.body,
                 id_token: [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.') };
  }
});

server.on('request', provider.callback());
process.stdout.write(JSON.stringify({ issuer }) + '\n');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
