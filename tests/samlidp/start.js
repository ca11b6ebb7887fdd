// A SAML 2.0 identity provider for the single sign-on tests, built on samlify (a maintained SAML library): it reads
// our AuthnRequests (HTTP-Redirect binding, schema-validated with xmllint), signs the assertion of its Responses
// with RSA-SHA256 and posts them to the SP's ACS URL (HTTP-POST binding, an auto-submitting form as real IdPs send).
//
// Usage: node start.js --entity-id <id> --key <private key PEM file> --cert <certificate PEM file> [--port 0]
// Prints `SAMLIDP_PORT=<port>` once it listens; stops when stdin closes or on SIGTERM/SIGINT.
//
//   POST /sps                     body: an SP's metadata XML; the IdP trusts that SP from then on
//   GET  /sso?SAMLRequest&RelayState   the sign-in page for an SP-initiated request (one email field)
//   POST /sso                     the page's form: answers the request for the email typed in
//   GET  /initiate?sp=<entity id>&email=<email>[&RelayState=]   IdP-initiated: a Response answering no request
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const zlib = require('zlib');
const samlify = require('samlify');
const { validate } = require('@authenio/samlify-xmllint-wasm');

samlify.setSchemaValidator({ validate });

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

// samlify's default template leaves out the AuthnStatement the Web SSO profile requires, and writes
// InResponseTo="" when there is no request; this one has the statement and omits InResponseTo when IdP-initiated.
function responseTemplate(values) {
  const inResponseTo = values.InResponseTo ? ` InResponseTo="${values.InResponseTo}"` : '';
  return '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"'
    + ` ID="${values.ID}" Version="2.0" IssueInstant="${values.Now}" Destination="${values.Acs}"${inResponseTo}>`
    + `<saml:Issuer>${values.Issuer}</saml:Issuer>`
    + '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
    + `<saml:Assertion ID="${values.AssertionID}" Version="2.0" IssueInstant="${values.Now}">`
    + `<saml:Issuer>${values.Issuer}</saml:Issuer>`
    + `<saml:Subject><saml:NameID Format="${EMAIL_FORMAT}">${values.Email}</saml:NameID>`
    + '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
    + `<saml:SubjectConfirmationData NotOnOrAfter="${values.Later}" Recipient="${values.Acs}"${inResponseTo}/>`
    + '</saml:SubjectConfirmation></saml:Subject>'
    + `<saml:Conditions NotBefore="${values.Now}" NotOnOrAfter="${values.Later}">`
    + `<saml:AudienceRestriction><saml:Audience>${values.Audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>`
    + `<saml:AuthnStatement AuthnInstant="${values.Now}" SessionIndex="${values.SessionIndex}"><saml:AuthnContext>`
    + '<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>'
    + '</saml:AuthnContext></saml:AuthnStatement>'
    + '<saml:AttributeStatement><saml:Attribute Name="displayName">'
    + `<saml:AttributeValue>${values.Name}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>`
    + '</saml:Assertion></samlp:Response>';
}

function escapeXml(text) {
  return String(text).replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' }[c]));
}

function page(res, status, html) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`<!doctype html><html><head><title>Test IdP</title></head><body>${html}</body></html>`);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function main() {
  const entityId = arg('entity-id');
  const keyFile = arg('key');
  const certFile = arg('cert');
  if (!entityId || !keyFile || !certFile) {
    console.error('usage: node start.js --entity-id <id> --key <key.pem> --cert <cert.pem> [--port 0]');
    process.exit(2);
  }
  const sps = new Map();
  let idp;

  // The SAML Response for `email`, answering `requestId` (or none), posted to the SP's ACS URL.
  async function respond(res, sp, requestId, email, relayState) {
    const info = requestId ? { extract: { request: { id: requestId } } } : {};
    const result = await idp.createLoginResponse(sp, info, 'post', { email }, {
      relayState,
      customTagReplacement: (template) => {
        const now = new Date();
        const later = new Date(now.getTime() + 5 * 60 * 1000);
        const id = '_' + crypto.randomUUID();
        const acs = sp.entityMeta.getAssertionConsumerService(samlify.Constants.wording.binding.post);
        return {
          id,
          context: responseTemplate({
            ID: id,
            AssertionID: '_' + crypto.randomUUID(),
            Now: now.toISOString(),
            Later: later.toISOString(),
            Acs: escapeXml(acs),
            Issuer: escapeXml(entityId),
            Audience: escapeXml(sp.entityMeta.getEntityID()),
            InResponseTo: requestId ? escapeXml(requestId) : '',
            Email: escapeXml(email),
            Name: escapeXml(email.split('@')[0]),
            SessionIndex: '_' + crypto.randomUUID(),
          }),
        };
      },
    });
    const relay = result.relayState ? `<input type="hidden" name="RelayState" value="${escapeXml(result.relayState)}"/>` : '';
    page(res, 200, `<form id="saml" method="post" action="${escapeXml(result.entityEndpoint)}">`
      + `<input type="hidden" name="SAMLResponse" value="${result.context}"/>${relay}`
      + '<noscript><button type="submit">Continue</button></noscript></form>'
      + '<script>document.getElementById("saml").submit();</script>');
  }

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://127.0.0.1');
      if (req.method === 'POST' && url.pathname === '/sps') {
        const sp = samlify.ServiceProvider({ metadata: await readBody(req) });
        sps.set(sp.entityMeta.getEntityID(), sp);
        res.writeHead(204).end();
      } else if (req.method === 'GET' && url.pathname === '/sso') {
        // Read the request now, so a bad one fails here; the form carries it on to POST /sso.
        const request = url.searchParams.get('SAMLRequest') || '';
        const relayState = url.searchParams.get('RelayState') || '';
        const issuer = issuerOf(request);
        page(res, 200, `<h1>Test IdP</h1><p>Sign in to ${escapeXml(issuer)}</p><form method="post" action="/sso">`
          + `<input type="hidden" name="SAMLRequest" value="${escapeXml(request)}"/>`
          + `<input type="hidden" name="RelayState" value="${escapeXml(relayState)}"/>`
          + `<input type="hidden" name="query" value="${escapeXml(url.search.slice(1))}"/>`
          + '<label>Email <input name="email" type="email"/></label><button type="submit">Sign in</button></form>');
      } else if (req.method === 'POST' && url.pathname === '/sso') {
        const form = new URLSearchParams(await readBody(req));
        const query = form.get('query') || '';
        const { sp, requestId } = await parseRequest(form.get('SAMLRequest') || '', form.get('RelayState') || '', query);
        await respond(res, sp, requestId, form.get('email') || '', form.get('RelayState') || undefined);
      } else if (req.method === 'GET' && url.pathname === '/initiate') {
        const sp = sps.get(url.searchParams.get('sp') || '');
        if (!sp) return page(res, 400, 'unknown SP: POST its metadata to /sps first');
        await respond(res, sp, null, url.searchParams.get('email') || '', url.searchParams.get('RelayState') || undefined);
      } else {
        page(res, 404, 'not found');
      }
    } catch (err) {
      console.error(err);
      page(res, 400, `SAML error: ${escapeXml(err && err.message ? err.message : err)}`);
    }
  });

  // The SP is found by the Issuer of its request; samlify then parses and schema-validates the request as that SP's.
  async function parseRequest(request, relayState, query) {
    const issuer = issuerOf(request);
    const sp = sps.get(issuer);
    if (!sp) throw new Error(`unknown SP ${issuer}: POST its metadata to /sps first`);
    const parsed = await idp.parseLoginRequest(sp, 'redirect', { query: { SAMLRequest: request, RelayState: relayState || undefined }, octetString: query });
    return { sp, requestId: parsed.extract.request.id };
  }

  function issuerOf(request) {
    const xml = zlib.inflateRawSync(Buffer.from(request, 'base64')).toString('utf8');
    const match = /<(?:\w+:)?Issuer[^>]*>([^<]+)<\/(?:\w+:)?Issuer>/.exec(xml);
    if (!match) throw new Error('the AuthnRequest has no Issuer');
    return match[1];
  }

  await new Promise((resolve) => server.listen(Number(arg('port', '0')), '127.0.0.1', resolve));
  const port = server.address().port;
  idp = samlify.IdentityProvider({
    entityID: entityId,
    privateKey: fs.readFileSync(keyFile),
    signingCert: fs.readFileSync(certFile),
    nameIDFormat: [EMAIL_FORMAT],
    singleSignOnService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', Location: `http://127.0.0.1:${port}/sso` }],
  });
  process.stdout.write(`SAMLIDP_PORT=${port}\n`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
