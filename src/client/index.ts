// The client library barrel (client-go's ideas): REST client, informers and their cache, work
// queue and controller loop, expectations, leader election, events. Other folders import from here.
export * from "./clock.ts";
export * from "./ratelimit.ts";
export * from "./kubeconfig.ts";
export * from "./resources.ts";
export { Transport, isConnectionError, isGone, statusErrorFrom } from "./transport.ts";
export type { TransportOptions, HttpRequest, HttpResponse } from "./transport.ts";
export * from "./watch.ts";
export * from "./rest.ts";
export * from "./store.ts";
export * from "./informer.ts";
export * from "./informer-factory.ts";
export * from "./workqueue.ts";
export * from "./controller.ts";
export * from "./expectations.ts";
export * from "./leader-election.ts";
export * from "./events.ts";
