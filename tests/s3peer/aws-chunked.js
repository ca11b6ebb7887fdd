// Decodes aws-chunked request bodies (SigV4 streaming uploads), which s3rver 3.7.1 does not
// understand: it would store the `<hex>;chunk-signature=...` framing inside the object.
// AWS S3, MinIO and Ceph accept these bodies; the AWS SDK for .NET sends them by default for
// PutObject and UploadPart. Chunk signatures are not verified (s3rver checks the seed signature).
// Spec: https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
'use strict';

const { Transform } = require('stream');

function isAwsChunked(headers) {
  const sha = headers['x-amz-content-sha256'] || '';
  const encoding = headers['content-encoding'] || '';
  return sha.startsWith('STREAMING-') || encoding.split(',').some((e) => e.trim() === 'aws-chunked');
}

class AwsChunkedDecoder extends Transform {
  constructor() {
    super();
    this.pending = Buffer.alloc(0);
    this.remaining = 0; // data bytes left in the current chunk
    this.state = 'header'; // header | data | crlf | trailer | done
  }

  _transform(buf, _enc, callback) {
    this.pending = this.pending.length ? Buffer.concat([this.pending, buf]) : buf;
    try {
      this.drain();
      callback();
    } catch (err) {
      callback(err);
    }
  }

  drain() {
    for (;;) {
      if (this.state === 'data') {
        if (this.pending.length === 0) return;
        const n = Math.min(this.remaining, this.pending.length);
        this.push(this.pending.subarray(0, n));
        this.pending = this.pending.subarray(n);
        this.remaining -= n;
        if (this.remaining === 0) this.state = 'crlf';
        continue;
      }
      if (this.state === 'crlf') {
        if (this.pending.length < 2) return;
        if (this.pending[0] !== 0x0d || this.pending[1] !== 0x0a) throw new Error('aws-chunked: missing CRLF after chunk');
        this.pending = this.pending.subarray(2);
        this.state = 'header';
        continue;
      }
      if (this.state === 'done') {
        this.pending = Buffer.alloc(0);
        return;
      }
      const eol = this.pending.indexOf('\r\n');
      if (eol < 0) return;
      const line = this.pending.subarray(0, eol).toString('latin1');
      this.pending = this.pending.subarray(eol + 2);
      if (this.state === 'trailer') {
        // Trailing headers (x-amz-checksum-*, x-amz-trailer-signature) end with an empty line.
        if (line === '') this.state = 'done';
        continue;
      }
      const size = parseInt(line.split(';')[0], 16);
      if (!Number.isFinite(size) || size < 0) throw new Error(`aws-chunked: bad chunk header '${line}'`);
      if (size === 0) {
        this.state = 'trailer';
      } else {
        this.remaining = size;
        this.state = 'data';
      }
    }
  }

  _flush(callback) {
    callback(this.state === 'done' || this.state === 'trailer' ? null : new Error('aws-chunked: body ended inside a chunk'));
  }
}

/** Koa middleware: replaces ctx.req with the decoded body; headers stay as signed. */
function awsChunked() {
  return async (ctx, next) => {
    if (isAwsChunked(ctx.headers)) {
      const decoder = new AwsChunkedDecoder();
      const original = ctx.req;
      original.on('error', (err) => decoder.destroy(err));
      ctx.req = original.pipe(decoder);
    }
    await next();
  };
}

module.exports = { awsChunked, AwsChunkedDecoder };
