// How big a message will be on the wire, to warn before the server refuses it for its size.

/** Base64 turns 3 bytes into 4 characters, in lines of 76 plus CRLF. */
function base64Size(bytes: number): number {
  const encoded = Math.ceil(bytes / 3) * 4;
  return encoded + Math.ceil(encoded / 76) * 2;
}

/** Headers and MIME part headers: generous, so the warning comes a little early, never late. */
const OVERHEAD = 4096;

export function estimatedMessageSize(body: string, attachmentSizes: number[]): number {
  const text = new TextEncoder().encode(body).length;
  // Hindi text goes out quoted-printable or base64: at most about 4/3 as well.
  return OVERHEAD + base64Size(text) + attachmentSizes.reduce((sum, size) => sum + base64Size(size) + 256, 0);
}

/** The server's limit is exceeded (a limit of null: the server declares none). */
export function tooBig(estimate: number, limit: number | null): boolean {
  return limit !== null && estimate > limit;
}
