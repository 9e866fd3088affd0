import { STATUS_CODES, type Server } from "node:http";
import type { Duplex } from "node:stream";
import { ScimError } from "../scim/errors.js";
import { SCIM_CONTENT_TYPE } from "./error-handler.js";

/**
 * Requests Node's HTTP parser refuses before Express sees them (a 20 KB filter in the request
 * line, broken framing, a header timeout). Node would answer these with a bare status line; this
 * answers with a SCIM error body instead, whenever the socket can still take one.
 */
function statusFor(code: string | undefined): [number, string] {
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return [431, "The request line or headers are too large; send long filters with POST .search"];
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return [413, "The request's chunk extensions are too large"];
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return [408, "The request took too long to arrive"];
    default:
      return [400, "The HTTP request is malformed"];
  }
}

export function answerClientErrors(server: Server): void {
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, detail] = statusFor(err.code);
    const body = JSON.stringify(new ScimError(status, null, detail));
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${SCIM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
