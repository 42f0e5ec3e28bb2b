// Reads a bulk body into `req.body` as text, counting its bytes against the intake's BodyBudget
// from the first one: a body whose Content-Length does not fit is refused before it is read, one
// without (chunked, or compressed) as soon as what has arrived passes the bound, and the bytes stay
// held until the answer is sent, that is while the body's ratings wait for Kafka too. Decoding
// follows express.text: gzip, deflate and br bodies, the charset of the Content-Type (UTF-8 by
// default), a byte order mark dropped.
import type { Readable } from 'node:stream';
import { TextDecoder } from 'node:util';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Request, RequestHandler } from 'express';
import type { BodyBudget } from './body-budget.ts';

export interface BodyReaderOptions {
  /** The media types read; others are left unread, for the route to refuse. */
  types: string[];
  /** Bytes of one body (decoded), at most: 413 above. */
  maxBytes: number;
  budget: BodyBudget;
}

/** An error the server's error handler answers with its status and message. */
const httpError = (status: 400 | 413 | 415, message: string, type: string): Error =>
  Object.assign(new Error(message), { status, type, expose: true });

const tooLarge = () => httpError(413, 'request entity too large', 'entity.too.large');

function decoded(req: Request, encoding: string): Readable | undefined {
  switch (encoding) {
    case 'identity':
      return req;
    case 'gzip':
      return req.pipe(createGunzip());
    case 'deflate':
      return req.pipe(createInflate());
    case 'br':
      return req.pipe(createBrotliDecompress());
    default:
      return undefined;
  }
}

function charsetOf(req: Request): string {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(req.headers['content-type'] ?? '');
  return match?.[1] ?? 'utf-8';
}

export function boundedBody({ types, maxBytes, budget }: BodyReaderOptions): RequestHandler {
  return (req, res, next) => {
    // Not ours (another type, or no body at all): the route answers it.
    if (typeof req.is(types) !== 'string') {
      next();
      return;
    }
    let decoder: TextDecoder;
    try {
      decoder = new TextDecoder(charsetOf(req));
    } catch {
      next(httpError(415, `unsupported charset "${charsetOf(req).toUpperCase()}"`, 'charset.unsupported'));
      return;
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    const declared = encoding === 'identity' ? Number(req.headers['content-length'] ?? NaN) : NaN;
    if (declared > maxBytes) {
      next(tooLarge());
      return;
    }
    let held = 0;
    // Whatever becomes of the request (answered, failed, the client gone), its bytes come back.
    res.once('close', () => budget.release(held));
    if (Number.isFinite(declared)) {
      if (!budget.tryHold(declared, 0)) {
        budget.refuse(res);
        return;
      }
      held = declared;
    }
    const stream = decoded(req, encoding);
    if (stream === undefined) {
      next(httpError(415, `unsupported content encoding "${encoding}"`, 'encoding.unsupported'));
      return;
    }

    const chunks: Buffer[] = [];
    let length = 0;
    let done = false;
    // Stops reading: the server discards what the client still sends once the answer is out.
    const stop = (answer: () => void) => {
      done = true;
      stream.off('data', onData);
      if (stream !== req) {
        req.unpipe();
        stream.destroy();
      }
      chunks.length = 0;
      answer();
    };
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length > maxBytes) return stop(() => next(tooLarge()));
      if (length > held) {
        if (!budget.tryHold(length - held, held)) return stop(() => budget.refuse(res));
        held = length;
      }
      chunks.push(chunk);
    };
    stream.on('data', onData);
    stream.once('end', () => {
      if (done) return;
      done = true;
      req.body = decoder.decode(Buffer.concat(chunks, length));
      chunks.length = 0;
      next();
    });
    stream.once('error', (err) => {
      if (done) return;
      stop(() =>
        next(
          stream === req ? err : httpError(400, `cannot decode the body: ${err.message}`, 'encoding.invalid'),
        ),
      );
    });
  };
}
