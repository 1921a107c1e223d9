import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, connect } from "node:net";
import type { Socket } from "node:net";
import { constants, createDeflate, inflateSync } from "node:zlib";
import { SPDY_DICTIONARY } from "./dictionary.ts";
import { FrameParser, HeaderCompressor, HeaderDecompressor, decodeHeaderBlock, encodeHeaderBlock, encodeSynStream } from "./framer.ts";
import { SpdySession } from "./session.ts";
import type { SpdyStream } from "./session.ts";
import { waitFor } from "../../../testing/wait.ts";

test("the dictionary is the 1423 bytes of the SPDY/3 spec", () => {
  assert.equal(SPDY_DICTIONARY.length, 1423);
  assert.equal(SPDY_DICTIONARY.subarray(0, 11).toString("latin1"), "\0\0\0\x07options");
  assert.ok(SPDY_DICTIONARY.toString("latin1").endsWith(",*,enq=0."));
});

test("HeaderCompressor output is one zlib stream a dictionary-primed inflater reads frame by frame", () => {
  const c = new HeaderCompressor();
  const a = c.compress({ streamtype: ["error"], port: ["8080"] });
  const b = c.compress({ streamtype: ["data"], multi: ["x", "y"] });
  const whole = inflateSync(Buffer.concat([a, b]), { dictionary: SPDY_DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH });
  const first = encodeHeaderBlock({ streamtype: ["error"], port: ["8080"] });
  assert.deepEqual(decodeHeaderBlock(whole.subarray(0, first.length)), { streamtype: ["error"], port: ["8080"] });
  assert.deepEqual(decodeHeaderBlock(whole.subarray(first.length)), { streamtype: ["data"], multi: ["x", "y"] });
});

test("HeaderDecompressor reads blocks compressed as Go does (deflate with the dictionary, sync flush per frame)", async () => {
  const deflate = createDeflate({ dictionary: SPDY_DICTIONARY, level: 9 });
  const out: Buffer[] = [];
  deflate.on("data", (c: Buffer) => out.push(c));
  const compress = (h: Record<string, string[]>) => new Promise<Buffer>((resolve) => {
    deflate.write(encodeHeaderBlock(h));
    deflate.flush(constants.Z_SYNC_FLUSH, () => resolve(Buffer.concat(out.splice(0))));
  });
  const d = new HeaderDecompressor();
  for (let i = 0; i < 50; i++) {
    const headers = { streamtype: [i % 2 ? "data" : "error"], port: ["8080"], requestid: [String(i)] };
    assert.deepEqual(await d.decompress(await compress(headers)), headers);
  }
  d.close();
});

test("FrameParser reassembles frames split at any byte", () => {
  const frame = encodeSynStream(1, new HeaderCompressor().compress({ a: ["b"] }));
  const p = new FrameParser();
  for (const byte of frame) {
    assert.equal(p.next(), null);
    p.push(Buffer.from([byte]));
  }
  const f = p.next();
  assert.equal(f?.kind, "syn_stream");
  assert.equal(p.next(), null);
});

async function pair(onStream: (s: SpdyStream) => void): Promise<{ client: SpdySession; server: Promise<SpdySession>; close: () => Promise<void> }> {
  let resolveServer!: (s: SpdySession) => void;
  const server = new Promise<SpdySession>((r) => (resolveServer = r));
  const sockets: Socket[] = [];
  const srv = createServer((socket) => {
    sockets.push(socket);
    resolveServer(new SpdySession(socket, { server: true, onStream }));
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const socket = connect((srv.address() as { port: number }).port, "127.0.0.1");
  await new Promise((r) => socket.once("connect", r));
  const client = new SpdySession(socket, { server: false });
  return {
    client, server,
    close: async () => {
      client.destroy();
      for (const s of sockets) s.destroy();
      await new Promise((r) => srv.close(r));
    },
  };
}

test("sessions: open, reply, data both ways, half-close, reset, ping, GOAWAY", async () => {
  const seen: string[] = [];
  const { client, server, close } = await pair((stream) => {
    seen.push(stream.header("streamtype"));
    if (stream.header("streamtype") === "refuse") return stream.reset();
    stream.reply();
    // Echo upper-cased, then half-close when the client does.
    stream.on("data", (c: Buffer) => stream.write(c.toString().toUpperCase()));
    stream.on("end", () => stream.end("!"));
  });
  try {
    const s = await client.openStream({ streamtype: ["echo"] });
    let got = "";
    s.on("data", (c: Buffer) => (got += c));
    const ended = new Promise((r) => s.on("end", r));
    s.write("hello ");
    s.write(Buffer.alloc(100_000, "a")); // several DATA frames
    s.end();
    await ended;
    assert.equal(got, `HELLO ${"A".repeat(100_000)}!`);
    await assert.rejects(client.openStream({ streamtype: ["refuse"] }), /reset/);
    await client.ping();
    assert.deepEqual(seen, ["echo", "refuse"]);
    await waitFor("stream forgotten", () => client.activeStreams === 0, 2000);
    (await server).close();
    await client.closed;
  } finally {
    await close();
  }
});

test("a reader that does not read pauses the connection instead of buffering without bound", async () => {
  let serverStream!: SpdyStream;
  const { client, close } = await pair((stream) => {
    stream.reply();
    serverStream = stream;
  });
  try {
    const s = await client.openStream({ streamtype: ["data"] });
    const chunk = Buffer.alloc(512 * 1024);
    for (let i = 0; i < 64; i++) s.write(chunk); // 32 MiB the server does not read yet
    await waitFor("server stream", () => serverStream !== undefined, 2000);
    // The sender backs up (TCP is full because the server paused), the server's buffer stays small.
    await waitFor("sender backed up", () => s.writableLength > 8 * 1024 * 1024, 10_000);
    assert.ok(serverStream.readableLength < 1024 * 1024, `buffered ${serverStream.readableLength}`);
    let total = 0;
    serverStream.on("data", (c: Buffer) => (total += c.length));
    await waitFor("all data", () => total === 64 * chunk.length, 10_000);
  } finally {
    await close();
  }
});
