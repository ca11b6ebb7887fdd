// The web UI over HTTPS, which ./hh up runs instead of server.js when HH_TLS_CERT and HH_TLS_KEY are set. Next's
// standalone server.js serves plain HTTP only (its certificate option is refused outside `next dev`), so this is
// Next's documented custom server: the same production build and request handler behind Node's https server.
// ./hh copies it beside server.js in .next/standalone, where `next` and the build's settings are.
const fs = require("fs");
const https = require("https");

// The name Next's own server gives its process, which ./hh looks for to tell its web UI from another program.
process.title = "next-server";
process.env.NODE_ENV = "production";
process.chdir(__dirname);

// The settings the build wrote, as server.js reads them (it embeds this same object).
const { config } = require("./.next/required-server-files.json");
process.env.__NEXT_PRIVATE_STANDALONE_CONFIG = JSON.stringify(config);

const next = require("next");

const port = parseInt(process.env.PORT, 10) || 3000;
const hostname = process.env.HOSTNAME || "127.0.0.1";
const tls = { cert: fs.readFileSync(process.env.HH_TLS_CERT), key: fs.readFileSync(process.env.HH_TLS_KEY) };

const app = next({ dev: false, dir: __dirname, conf: config, hostname, port, customServer: true });
const handle = app.getRequestHandler();
app
  .prepare()
  .then(() => {
    const server = https.createServer(tls, (req, res) => {
      // Browsers that reached the UI over TLS keep to it (a year, as the Mozilla guidelines suggest).
      res.setHeader("Strict-Transport-Security", "max-age=31536000");
      return handle(req, res);
    });
    server.on("error", (err) => {
      console.error(err);
      process.exit(1);
    });
    server.listen(port, hostname, () => console.log(`Web UI listening on https://${hostname}:${port}`));
  })
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
