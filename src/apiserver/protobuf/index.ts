// Kubernetes protobuf: request bodies (kubectl's typed clients send them) decode to the JSON form;
// responses and watch events encode from it when the client asks for protobuf.
export { decodeKubernetesProtobuf, PROTOBUF_CONTENT_TYPE, PROTOBUF_MAGIC } from "./decode.ts";
export { encodeKubernetesProtobuf, encodeWatchEventProtobuf } from "./encode.ts";
