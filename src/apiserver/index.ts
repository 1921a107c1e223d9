// The API server component.
export { ApiServer } from "./apiserver.ts";
export type { ApiServerOptions } from "./apiserver.ts";
export { KUBERNETES_VERSION } from "./http/router.ts";
