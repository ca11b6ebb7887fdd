import type { NextConfig } from "next";

// A production build served by `node .next/standalone/server.js` (what ./hh up runs). The browser talks
// only to this server; app/api/[plane]/[...path] forwards to the CP and DP APIs, so the refresh cookie
// stays first-party and no CORS is needed.
const securityHeaders = [
  { key: "X-Frame-Options", value: "DENY" },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "same-origin" },
  {
    key: "Content-Security-Policy",
    // Next's runtime injects inline scripts; everything else comes from this origin only.
    value: "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  },
];

const config: NextConfig = {
  output: "standalone",
  poweredByHeader: false,
  reactStrictMode: true,
  async headers() {
    return [{ source: "/:path*", headers: securityHeaders }];
  },
};

export default config;
