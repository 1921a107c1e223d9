// Throw-away TLS material for tests: a CA, a server certificate for 127.0.0.1/localhost and a
// client certificate, made with the openssl CLI in a scratch directory.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface TestCertificates {
  /** PEM of the CA that signed both certificates. */
  ca: string;
  /** Server certificate and key (SAN IP:127.0.0.1, DNS:localhost; usable for serverAuth and clientAuth, e.g. etcd peers). */
  serverCert: string;
  serverKey: string;
  /** Client certificate and key (clientAuth). */
  clientCert: string;
  clientKey: string;
}

async function openssl(cwd: string, args: string[]): Promise<void> {
  try {
    await run("openssl", args, { cwd });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    throw new Error(`openssl ${args[0]} failed: ${(err as Error).message}\n${stderr}`);
  }
}

async function issue(dir: string, name: string, subject: string, ext: string): Promise<void> {
  await openssl(dir, ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject]);
  await writeFile(path.join(dir, `${name}.ext`), ext);
  await openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.crt`, "-days", "2", "-sha256", "-extfile", `${name}.ext`]);
}

/** Generates a fresh CA, server and client certificate (EC P-256, valid two days). */
export async function generateTestCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(path.join(tmpdir(), "k8ts-certs-"));
  try {
    await openssl(dir, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=k8ts-test-ca", "-days", "2", "-sha256"]);
    await issue(dir, "server", "/CN=etcd-server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n");
    await issue(dir, "client", "/CN=k8ts-client", "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n");
    const read = (f: string) => readFile(path.join(dir, f), "utf8");
    return {
      ca: await read("ca.crt"),
      serverCert: await read("server.crt"),
      serverKey: await read("server.key"),
      clientCert: await read("client.crt"),
      clientKey: await read("client.key"),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
