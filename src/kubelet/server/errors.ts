// Errors the kubelet server answers as plain text with a status code, as its handlers write them.

export class HttpError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}
