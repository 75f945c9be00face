/**
 * The few response operations the guard needs, on Express's response or Fastify's reply (whose
 * Node response is `raw`). Headers set on the Node response are merged into what the adapter sends.
 */
interface NodeLikeResponse {
  setHeader(name: string, value: string | string[]): unknown;
  getHeader(name: string): number | string | string[] | undefined;
  headersSent?: boolean;
}

function nodeResponse(res: unknown): NodeLikeResponse | undefined {
  const candidate = (res as { raw?: unknown })?.raw ?? res;
  return typeof (candidate as NodeLikeResponse)?.setHeader === 'function' ? (candidate as NodeLikeResponse) : undefined;
}

/** Sets a response header unless the headers are already sent. */
export function setResponseHeader(res: unknown, name: string, value: string): void {
  const node = nodeResponse(res);
  if (node && !node.headersSent) node.setHeader(name, value);
}

/** Adds a value to a list header (`Set-Cookie`, `Access-Control-Expose-Headers`), keeping what is there. */
export function appendResponseHeader(res: unknown, name: string, value: string): void {
  const node = nodeResponse(res);
  if (!node || node.headersSent) return;
  const current = node.getHeader(name);
  if (current === undefined) node.setHeader(name, name.toLowerCase() === 'set-cookie' ? [value] : value);
  else if (Array.isArray(current)) node.setHeader(name, [...current, value]);
  else if (name.toLowerCase() === 'set-cookie') node.setHeader(name, [String(current), value]);
  else node.setHeader(name, `${String(current)}, ${value}`);
}
