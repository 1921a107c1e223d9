// Kubernetes protobuf request bodies (kubectl's typed clients send them): decode to the JSON form.
export { decodeKubernetesProtobuf, PROTOBUF_CONTENT_TYPE, PROTOBUF_MAGIC } from "./decode.ts";
