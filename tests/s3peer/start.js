// Starts s3rver (the S3 API on the filesystem) for the object store contract tests.
// Usage: node --openssl-legacy-provider start.js --directory <dir> --bucket <name> [--address 127.0.0.1] [--port 0]
// Prints one line `S3PEER_PORT=<port>` once it listens, and stops when stdin closes (the test
// process ended or let go of it) or on SIGTERM/SIGINT.
'use strict';

const crypto = require('crypto');
const S3rver = require('s3rver');
const FilesystemStore = require('s3rver/lib/stores/filesystem');
const { awsChunked } = require('./aws-chunked');

// s3rver lists keys in directory-walk order ("a/1" before "a-b"), and pages with start-after in
// that order; S3 returns keys in lexicographic order. Sort first, then page, as S3 does, so the
// peer holds the adapter to S3's contract rather than to s3rver's storage layout.
const walkOrderList = FilesystemStore.prototype.listObjects;
FilesystemStore.prototype.listObjects = async function listInKeyOrder(bucket, options) {
  const { startAfter = '', maxKeys = Infinity, ...rest } = options;
  const all = await walkOrderList.call(this, bucket, { ...rest, maxKeys: Infinity });
  const objects = all.objects
    .filter((o) => o.key > startAfter)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    objects: objects.slice(0, maxKeys),
    commonPrefixes: all.commonPrefixes.filter((p) => p > startAfter),
    isTruncated: objects.length > maxKeys,
  };
};

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

async function main() {
  try {
    // s3rver 3.7.1 encrypts ListObjectsV2 continuation tokens with DES (OpenSSL 3: legacy provider).
    crypto.createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
  } catch {
    console.error('DES is unavailable: start node with --openssl-legacy-provider (s3rver continuation tokens need it)');
    process.exit(2);
  }
  const directory = arg('directory');
  const bucket = arg('bucket');
  if (!directory || !bucket) {
    console.error('usage: node start.js --directory <dir> --bucket <name> [--address 127.0.0.1] [--port 0]');
    process.exit(2);
  }
  const server = new S3rver({
    address: arg('address', '127.0.0.1'),
    port: Number(arg('port', '0')),
    directory,
    silent: true,
    configureBuckets: [{ name: bucket }],
  });
  // First in the chain, before s3rver's routes read the body.
  server.middleware.unshift(awsChunked());
  const { port } = await server.run();
  process.stdout.write(`S3PEER_PORT=${port}\n`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close().finally(() => process.exit(0));
    // Open keep-alive sockets would hold close() forever.
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
