// Quantities: Kubernetes' parse table, invalid inputs, canonical strings, ceil values, arithmetic.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  addQuantities, canonicalizeQuantity, compareQuantities, parseQuantity, quantityFromMilli, quantityFromValue, quantityMilliValue,
  quantityToNumber, quantityToString, quantityValue, subtractQuantities, tryParseQuantity,
} from "./quantity.ts";
import type { QuantityFormat } from "./quantity.ts";
import { StatusError } from "./status.ts";

/** value * 10^scale in nano-units, like Kubernetes' decQuantity(value, scale, format) test helper. */
const dec = (value: bigint, scale: number): bigint => (scale + 9 >= 0 ? value * 10n ** BigInt(scale + 9) : value / 10n ** BigInt(-(scale + 9)));

test("parses Kubernetes' TestQuantityParse table (value and format), with - and + variants", () => {
  const table: Array<[string, bigint, QuantityFormat]> = [
    ["0", 0n, "DecimalSI"], ["0n", 0n, "DecimalSI"], ["0u", 0n, "DecimalSI"], ["0m", 0n, "DecimalSI"], ["0Ki", 0n, "BinarySI"],
    ["0k", 0n, "DecimalSI"], ["0Mi", 0n, "BinarySI"], ["0M", 0n, "DecimalSI"], ["0Gi", 0n, "BinarySI"], ["0Ti", 0n, "BinarySI"],
    ["1", dec(1n, 0), "DecimalSI"], ["1Ki", dec(1024n, 0), "BinarySI"], ["8Ki", dec(8n * 1024n, 0), "BinarySI"],
    ["7Mi", dec(7n * 1024n ** 2n, 0), "BinarySI"], ["6Gi", dec(6n * 1024n ** 3n, 0), "BinarySI"], ["5Ti", dec(5n * 1024n ** 4n, 0), "BinarySI"],
    ["4Pi", dec(4n * 1024n ** 5n, 0), "BinarySI"], ["3Ei", dec(3n * 1024n ** 6n, 0), "BinarySI"], ["100Ti", dec(100n * 1024n ** 4n, 0), "BinarySI"],
    ["5n", dec(5n, -9), "DecimalSI"], ["4u", dec(4n, -6), "DecimalSI"], ["3m", dec(3n, -3), "DecimalSI"], ["8k", dec(8n, 3), "DecimalSI"],
    ["50k", dec(5n, 4), "DecimalSI"], ["7M", dec(7n, 6), "DecimalSI"], ["6G", dec(6n, 9), "DecimalSI"], ["5T", dec(5n, 12), "DecimalSI"],
    ["300T", dec(3n, 14), "DecimalSI"], ["2P", dec(2n, 15), "DecimalSI"], ["1E", dec(1n, 18), "DecimalSI"],
    ["1E-3", dec(1n, -3), "DecimalExponent"], ["1e3", dec(1n, 3), "DecimalExponent"], ["1E6", dec(1n, 6), "DecimalExponent"],
    ["1e14", dec(1n, 14), "DecimalExponent"], ["100.035k", dec(100035n, 0), "DecimalSI"],
    ["0.001", dec(1n, -3), "DecimalSI"], ["0.0005k", dec(5n, -1), "DecimalSI"], ["0.5", dec(5n, -1), "DecimalSI"],
    ["0.00050k", dec(5n, -1), "DecimalSI"], ["0.5e0", dec(5n, -1), "DecimalExponent"], ["0.5e-2", dec(5n, -3), "DecimalExponent"],
    ["10.035M", dec(10035n, 3), "DecimalSI"], ["1.2e3", dec(12n, 2), "DecimalExponent"], ["1.3E+6", dec(13n, 5), "DecimalExponent"],
    ["1.7E18", dec(17n, 17), "DecimalExponent"], ["9.01", dec(901n, -2), "DecimalSI"], ["6.987654321G", dec(6987654321n, 0), "DecimalSI"],
    ["1.01E", dec(101n, 16), "DecimalSI"],
    // things that round up to a nano
    ["3.001n", dec(4n, -9), "DecimalSI"], ["1.1E-9", dec(2n, -9), "DecimalExponent"], ["0.0000000001", dec(1n, -9), "DecimalSI"],
    ["0.0000000005", dec(1n, -9), "DecimalSI"], ["0.5e-9", dec(1n, -9), "DecimalExponent"], ["0.9n", dec(1n, -9), "DecimalSI"],
    ["0.00000012345", dec(124n, -9), "DecimalSI"], ["0.00000012354", dec(124n, -9), "DecimalSI"], ["1e-1000", dec(1n, -9), "DecimalExponent"],
    // saturation of binary quantities at 2^63-1
    ["9Ei", dec(2n ** 63n - 1n, 0), "BinarySI"], ["9223372036854775807Ki", dec(2n ** 63n - 1n, 0), "BinarySI"], ["12E", dec(12n, 18), "DecimalSI"],
    // fractional binary
    ["100.035Ki", dec(10243584n, -2), "BinarySI"], ["0.5Mi", dec(524288n, 0), "BinarySI"], ["0.05Gi", dec(536870912n, -1), "BinarySI"],
    // written by trolls
    ["0.000000000001Ki", dec(2n, -9), "DecimalSI"], [".001", dec(1n, -3), "DecimalSI"], [".0001k", dec(100n, -3), "DecimalSI"],
    ["1.", dec(1n, 0), "DecimalSI"], ["1.G", dec(1n, 9), "DecimalSI"],
  ];
  for (const [input, nanos, format] of table) {
    const q = parseQuantity(input);
    assert.equal(q.nanos, nanos, input);
    assert.equal(q.format, format, input);
    if (input !== "0") {
      assert.equal(parseQuantity(`-${input}`).nanos, -nanos, `-${input}`);
      assert.equal(parseQuantity(`-${input}`).format, format, `-${input}`);
    }
    assert.equal(parseQuantity(`+${input}`).nanos, nanos, `+${input}`);
  }
});

test("rejects Kubernetes' invalid quantities with a 400 and its messages", () => {
  const re = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
  const cases: Array<[string, string]> = [
    ["", re], ["1.1.M", re], ["1+1.0M", re], ["aoeu", re], ["-3.01e-", "unable to parse quantity's suffix"], [" 1", re], ["1 ", re],
    ["0.1mi", "unable to parse quantity's suffix"], ["0.1am", re], [".5i", "unable to parse quantity's suffix"],
    ["1i", "unable to parse quantity's suffix"], ["-3.01i", "unable to parse quantity's suffix"], ["1e", "unable to parse quantity's suffix"],
    ["1e99999", "unable to parse numeric part of quantity"],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => parseQuantity(input), (err: unknown) => {
      assert.ok(err instanceof StatusError, input);
      assert.equal(err.code, 400, input);
      assert.equal(err.reason, "BadRequest", input);
      assert.equal(err.message, message, input);
      return true;
    });
    assert.equal(tryParseQuantity(input), undefined);
  }
});

test("canonical strings (TestQuantityString alternates, TestQuantityParseEmit)", () => {
  const cases: Array<[string, string]> = [
    ["1024Mi", "1Gi"], ["307200Ki", "300Mi"], ["1025024Mi", "1001Gi"], ["1024Gi", "1Ti"], ["5000m", "5"], ["0.5", "500m"],
    ["1000M", "1G"], ["0.001T", "1G"], ["1000u", "1m"], ["1.08", "1080m"], ["1080000000n", "1080m"], [".001e12", "1e9"],
    ["0.001e0", "1e-3"], ["1000e-12", "1e-9"], ["00", "0"],
    ["1Ki", "1Ki"], ["1Mi", "1Mi"], ["1Gi", "1Gi"], [".001Ki", "1024m"], [".000001Ki", "1024u"], [".000000001Ki", "1024n"],
    [".000000000001Ki", "2n"],
    // the brief's examples
    ["1.5Gi", "1536Mi"], ["1000m", "1"], ["0.1", "100m"], ["100m", "100m"], ["2e3", "2e3"], ["1e3", "1e3"], ["1.5e3", "1500"],
    // large values (TestParseQuantity)
    ["999999999999999999.1", "999999999999999999100m"], ["1000000000000000000", "1E"], ["10E", "10E"], ["10000000000000000000", "10E"],
    ["9223372036854775807", "9223372036854775807"], ["1.0000000000000000001E", "1000000000000000000100m"],
    ["1000E", "1000E"],
    // binary values that are not whole or below 1024 print in decimal
    ["1.5Ki", "1536"], ["0.5Ki", "512"], ["1025Ki", "1025Ki"], ["1536", "1536"],
  ];
  for (const [input, expected] of cases) {
    assert.equal(canonicalizeQuantity(input), expected, input);
    if (expected !== "0") assert.equal(canonicalizeQuantity(`-${input}`), `-${expected}`, `-${input}`);
    // the canonical form is stable
    assert.equal(canonicalizeQuantity(expected), expected, expected);
  }
});

test("input text is kept when Kubernetes keeps it", () => {
  for (const s of ["100m", "1Ki", "3Ei", "1e3", "1e9", "80e-3", "+1", "1.500"]) assert.equal(canonicalizeQuantity(s), s);
  for (const [s, c] of [["1.5", "1500m"], ["8Ki", "8Ki"], ["1024Ki", "1Mi"], ["0.50", "500m"]]) assert.equal(canonicalizeQuantity(s!), c);
  assert.equal(canonicalizeQuantity(0.5), "500m");
  assert.equal(canonicalizeQuantity(2), "2");
});

test("compare, value (ceil), milliValue (ceil)", () => {
  const q = parseQuantity;
  assert.equal(compareQuantities(q("1"), q("1000m")), 0);
  assert.equal(compareQuantities(q("1Ki"), q("1k")), 1);
  assert.equal(compareQuantities(q("999m"), q("1")), -1);
  assert.equal(compareQuantities(q("1Gi"), q("1073741824")), 0);
  assert.equal(compareQuantities(q("-1"), q("0")), -1);
  assert.equal(quantityValue(q("1.5")), 2n);
  assert.equal(quantityValue(q("100m")), 1n);
  assert.equal(quantityValue(q("1Gi")), 1073741824n);
  assert.equal(quantityValue(q("9Ei")), 2n ** 63n - 1n);
  assert.equal(quantityValue(q("-1.5")), -1n);
  assert.equal(quantityMilliValue(q("0.1")), 100n);
  assert.equal(quantityMilliValue(q("1n")), 1n);
  assert.equal(quantityMilliValue(q("2")), 2000n);
  assert.equal(quantityMilliValue(q("250m")), 250n);
  assert.equal(quantityToNumber(q("1.5Gi")), 1610612736);
});

test("construction and arithmetic keep Kubernetes' formats", () => {
  assert.equal(quantityToString(quantityFromMilli(1500)), "1500m");
  assert.equal(quantityToString(quantityFromValue(2n * 1024n ** 3n, "BinarySI")), "2Gi");
  assert.equal(quantityToString(quantityFromValue(0)), "0");
  const sum = addQuantities(parseQuantity("1Gi"), parseQuantity("512Mi"));
  assert.equal(quantityToString(sum), "1536Mi");
  assert.equal(quantityToString(addQuantities(parseQuantity("0"), parseQuantity("1Ki"))), "1Ki");
  assert.equal(quantityToString(subtractQuantities(parseQuantity("1"), parseQuantity("250m"))), "750m");
  assert.equal(quantityToString(subtractQuantities(parseQuantity("1Gi"), parseQuantity("2Gi"))), "-1Gi");
});
