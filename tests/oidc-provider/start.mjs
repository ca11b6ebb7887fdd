// A real OpenID provider (panva's oidc-provider, OpenID Certified) for the single sign-on tests.
// Usage: node start.mjs --clients '<json array of {client_id, client_secret, redirect_uris, token_endpoint_auth_method}>'
//        [--port 0]
// Prints one line `OIDC_ISSUER=http://127.0.0.1:<port>` once it listens, and stops when stdin closes (the test
// process ended or let go of it) or on SIGTERM/SIGINT.
//
// Sign-in is a one-field form at /interaction/<uid>: whoever types an email is signed in as that email (a test
// IdP has no passwords to guess). An email starting with "unverified" is asserted with email_verified=false. The
// subject is derived from the email, stable across sign-ins, and not the email itself (as real providers do).
import crypto from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const clients = JSON.parse(arg('clients', '[]'));
const emails = new Map(); // subject -> email

function subjectOf(email) {
  return 'sub-' + crypto.createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 24);
}

function signingKey() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), use: 'sig', alg: 'RS256' };
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
      if (body.length > 10_000) reject(new Error('form too large'));
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const server = http.createServer();
server.listen(Number(arg('port', '0')), '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: clients.map((c) => ({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      ...c,
    })),
    jwks: { keys: [signingKey()] },
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // The scope's claims in the ID token itself (many providers do this; our relying party reads only the ID token).
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    // PKCE with S256 for every client, as our relying party always sends it.
    pkce: { required: () => true },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, sub) {
      const email = emails.get(sub);
      if (!email) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { sub, email, email_verified: !email.startsWith('unverified'), name: `Test ${email.split('@')[0]}` };
        },
      };
    },
  });
  const handle = provider.callback();

  server.on('request', async (req, res) => {
    const url = new URL(req.url, issuer);
    const match = url.pathname.match(/^\/interaction\/([\w-]+)(\/login)?$/);
    if (!match) return handle(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      if (req.method === 'GET' && !match[2]) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><title>Test IdP</title><h1>Test IdP sign-in</h1>
<p>Client ${escape(details.params.client_id)}</p>
<form method="post" action="/interaction/${escape(details.uid)}/login">
<label>IdP email <input name="login" type="email" required autofocus></label>
<button type="submit">Continue</button></form>`);
        return;
      }
      if (req.method === 'POST' && match[2]) {
        const email = (await readForm(req)).get('login');
        if (!email) {
          res.writeHead(400).end('login is required');
          return;
        }
        const accountId = subjectOf(email);
        emails.set(accountId, email);
        const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
        grant.addOIDCScope(details.params.scope);
        const grantId = await grant.save();
        await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
        return;
      }
      res.writeHead(405).end();
    } catch (error) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error));
    }
  });

  console.log(`OIDC_ISSUER=${issuer}`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
