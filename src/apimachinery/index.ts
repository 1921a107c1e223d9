// The apimachinery barrel: what other folders import (Status errors, objects, selectors,
// quantities, validation, patch).
export * from "./status.ts";
export * from "./object.ts";
export * from "./labels.ts";
export * from "./fields.ts";
export * from "./quantity.ts";
export * from "./validation.ts";
export * from "./patch.ts";
