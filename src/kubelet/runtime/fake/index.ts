// The in-memory fake runtime for tests.
export { FakeRuntime } from "./fake-runtime.ts";
export type { FakeCall, FakeContainer, FakeContainerScript, FakeExecHandler, FakeRuntimeOptions, FakeSandbox } from "./fake-runtime.ts";
