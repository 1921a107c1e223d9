// Tests for the cluster PKI: certificate fields and extensions, chains, SAN handling, reuse checks.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import assert from "node:assert/strict";
import { X509Certificate as NodeX509, createPrivateKey } from "node:crypto";
import { before, describe, it } from "node:test";
import {
  CA_VALIDITY_DAYS, LEAF_VALIDITY_DAYS, classifySANs, createAdminCert, createCA, createClientCert, createServingCert, leafProblem,
} from "./pki.ts";
import type { CertKeyPair } from "./pki.ts";

const DAY = 86_400_000;
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

function days(cert: NodeX509): number {
  return (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / DAY;
}

function ext<T extends x509.Extension>(pem: string, type: new (raw: ArrayBuffer) => T): T {
  const found = new x509.X509Certificate(pem).getExtension(type);
  assert.ok(found, `missing ${type.name}`);
  return found;
}

function assertSignedBy(leaf: string, ca: string): void {
  const cert = new NodeX509(leaf);
  const issuer = new NodeX509(ca);
  assert.ok(cert.checkIssued(issuer), "issuer name must equal the CA subject");
  assert.ok(cert.verify(issuer.publicKey), "signature must verify with the CA key");
}

describe("pki", () => {
  let ca: CertKeyPair;
  before(async () => {
    ca = await createCA();
  });

  it("creates a self-signed CA with CA extensions and ten years of validity", () => {
    const cert = new NodeX509(ca.cert);
    assert.equal(cert.ca, true);
    assertSignedBy(ca.cert, ca.cert);
    assert.match(cert.subject, /^CN=k8ts-ca@\d+$/);
    assert.ok(Math.abs(days(cert) - CA_VALIDITY_DAYS) < 1);
    const bc = ext(ca.cert, x509.BasicConstraintsExtension);
    assert.equal(bc.ca, true);
    assert.equal(bc.critical, true);
    const ku = ext(ca.cert, x509.KeyUsagesExtension).usages;
    assert.ok(ku & x509.KeyUsageFlags.keyCertSign && ku & x509.KeyUsageFlags.cRLSign);
    assert.match(ext(ca.cert, x509.SubjectKeyIdentifierExtension).keyId, /^[0-9a-f]{40}$/);
    assert.match(ca.key, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.equal(createPrivateKey(ca.key).asymmetricKeyDetails?.namedCurve, "prime256v1");
    assert.ok(cert.checkPrivateKey(createPrivateKey(ca.key)));
  });

  it("uses random positive serial numbers", async () => {
    const other = await createCA();
    const a = new NodeX509(ca.cert).serialNumber;
    const b = new NodeX509(other.cert).serialNumber;
    assert.notEqual(a, b);
    assert.match(a, /^[4-7][0-9A-F]{31}$/);
  });

  it("issues a serving certificate with the default and extra SANs", async () => {
    const serving = await createServingCert(ca, { hostname: "Node-1", sans: ["10.0.0.7", "[fd00::1]", "api.example.com", "localhost"] });
    assertSignedBy(serving.cert, ca.cert);
    const cert = new NodeX509(serving.cert);
    assert.equal(cert.ca, false);
    assert.ok(cert.checkPrivateKey(createPrivateKey(serving.key)));
    assert.ok(Math.abs(days(cert) - LEAF_VALIDITY_DAYS) < 1);
    const names = ext(serving.cert, x509.SubjectAlternativeNameExtension).names.toJSON();
    const dns = names.filter((n) => n.type === "dns").map((n) => n.value);
    const ips = names.filter((n) => n.type === "ip").map((n) => n.value);
    assert.deepEqual(dns, [
      "localhost", "node-1", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "api.example.com",
    ]);
    assert.deepEqual(ips.map((ip) => cert.checkIP(ip) !== undefined), ips.map(() => true));
    for (const ip of ["127.0.0.1", "::1", "10.0.0.7", "fd00::1"]) assert.ok(cert.checkIP(ip), ip);
    assert.equal(ips.length, 4);
    assert.deepEqual([...ext(serving.cert, x509.ExtendedKeyUsageExtension).usages], [SERVER_AUTH]);
    const ku = ext(serving.cert, x509.KeyUsagesExtension);
    assert.equal(ku.usages, x509.KeyUsageFlags.digitalSignature);
    assert.equal(ext(serving.cert, x509.BasicConstraintsExtension).ca, false);
    assert.equal(ext(serving.cert, x509.AuthorityKeyIdentifierExtension).keyId, ext(ca.cert, x509.SubjectKeyIdentifierExtension).keyId);
  });

  it("issues client certificates with CN = user and O = groups", async () => {
    const client = await createClientCert(ca, { user: "jane", groups: ["dev", "ops"] });
    assertSignedBy(client.cert, ca.cert);
    const name = new x509.X509Certificate(client.cert).subjectName;
    assert.deepEqual(name.getField("CN"), ["jane"]);
    assert.deepEqual(name.getField("O"), ["dev", "ops"]);
    assert.deepEqual([...ext(client.cert, x509.ExtendedKeyUsageExtension).usages], [CLIENT_AUTH]);
    assert.equal(new x509.X509Certificate(client.cert).getExtension(x509.SubjectAlternativeNameExtension), null);

    const admin = new NodeX509((await createAdminCert(ca)).cert);
    assert.equal(admin.subject, "CN=system:admin\nO=system:masters");
    await assert.rejects(createClientCert(ca, { user: "" }));
  });

  it("supports RSA 2048 keys and RSA CAs", async () => {
    const rsaCA = await createCA({ keyAlgorithm: "rsa-2048" });
    const leaf = await createServingCert(rsaCA, { keyAlgorithm: "rsa-2048" });
    assertSignedBy(leaf.cert, rsaCA.cert);
    assert.equal(createPrivateKey(leaf.key).asymmetricKeyDetails?.modulusLength, 2048);
    const ku = ext(leaf.cert, x509.KeyUsagesExtension).usages;
    assert.equal(ku, x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);
    // an EC leaf under the RSA CA, too
    assertSignedBy((await createClientCert(rsaCA, { user: "u" })).cert, rsaCA.cert);
  });

  it("never lets a leaf outlive its CA", async () => {
    const shortCA = await createCA({ validityDays: 10 });
    const leaf = new NodeX509((await createClientCert(shortCA, { user: "u" })).cert);
    assert.equal(leaf.validTo, new NodeX509(shortCA.cert).validTo);
  });

  it("classifies SANs as IP or DNS, normalised and deduplicated", () => {
    assert.deepEqual(classifySANs(["10.1.1.1", " Example.COM. ", "[::1]", "::1", "", "10.1.1.1", "a.b"]), {
      ips: ["10.1.1.1", "::1"],
      dns: ["example.com", "a.b"],
    });
  });

  it("leafProblem explains why a certificate cannot be reused", async () => {
    const now = new Date();
    const serving = await createServingCert(ca, { hostname: "h", sans: ["1.2.3.4"], now });
    assert.equal(leafProblem(serving, ca.cert, { sans: ["1.2.3.4", "localhost", "h", "::1"] }), undefined);
    assert.equal(leafProblem(serving, ca.cert, { sans: ["1.2.3.5", "other.example"] }), "missing SANs 1.2.3.5, other.example");
    assert.equal(leafProblem(serving, (await createCA()).cert), "not signed by the cluster CA");
    assert.match(leafProblem(serving, ca.cert, { minRemainingMs: 30 * DAY, now: new Date(now.getTime() + 340 * DAY) }) ?? "", /^expires /);
    const other = await createClientCert(ca, { user: "x" });
    assert.equal(leafProblem({ cert: serving.cert, key: other.key }, ca.cert), "the key does not match the certificate");
    assert.match(leafProblem({ cert: "garbage", key: serving.key }, ca.cert) ?? "", /^unreadable/);
  });
});
