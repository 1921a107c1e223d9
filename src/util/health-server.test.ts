import { test } from "node:test";
import assert from "node:assert/strict";
import { Counter, Registry } from "prom-client";
import { startHealthServer } from "./health-server.ts";

test("serves health checks and the registry's metrics", async () => {
  const registry = new Registry();
  new Counter({ name: "demo_total", help: "A demo counter.", registers: [registry] }).inc(3);
  let healthy = true;
  const server = await startHealthServer({ host: "127.0.0.1", port: 0, registry, healthy: () => healthy });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    assert.equal(await (await fetch(`${base}/healthz`)).text(), "ok");
    assert.match(await (await fetch(`${base}/metrics`)).text(), /^demo_total 3$/m);
    healthy = false;
    assert.equal((await fetch(`${base}/readyz`)).status, 500);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
  } finally {
    await server.close();
  }
});
