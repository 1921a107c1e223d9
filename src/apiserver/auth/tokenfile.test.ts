// Tests for the static token file reader and writer (kube-apiserver --token-auth-file format).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatTokenLine, generateToken, parseTokenFile } from "./tokenfile.ts";

describe("token file", () => {
  it("parses token,user,uid and a quoted group list", () => {
    const text = 'abc,alice,u1,"system:masters,dev"\r\n\ndef,bob,u2\nxyz,carol,u3,single\n';
    assert.deepEqual(parseTokenFile(text), [
      { token: "abc", user: "alice", uid: "u1", groups: ["system:masters", "dev"] },
      { token: "def", user: "bob", uid: "u2", groups: [] },
      { token: "xyz", user: "carol", uid: "u3", groups: ["single"] },
    ]);
  });

  it("skips empty tokens, lets a later duplicate win, and rejects short records", () => {
    assert.deepEqual(parseTokenFile(',nobody,0\nt,first,1\nt,second,2,"a"'), [{ token: "t", user: "second", uid: "2", groups: ["a"] }]);
    assert.throws(() => parseTokenFile("t,onlyuser\n"), /at least 3 columns/);
    assert.throws(() => parseTokenFile('t,u,1,"open'), /unterminated/);
    assert.deepEqual(parseTokenFile(""), []);
  });

  it("writes lines that parse back to the same entry", () => {
    const entry = { token: generateToken(), user: "system:admin", uid: "k8ts-admin", groups: ["system:masters", "x"] };
    const line = formatTokenLine(entry);
    assert.equal(line, `${entry.token},system:admin,k8ts-admin,"system:masters,x"\n`);
    assert.deepEqual(parseTokenFile(line), [entry]);
    const odd = { token: "t", user: 'we,ird "name"', uid: "", groups: [] };
    assert.deepEqual(parseTokenFile(formatTokenLine(odd)), [odd]);
  });

  it("generates 64-hex-digit tokens", () => {
    const a = generateToken();
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.notEqual(a, generateToken());
  });
});
