/**
 * The few response operations the library needs, on Express's response, Node's
 * `ServerResponse`, or Fastify's reply. On Fastify headers go through `reply.header()`: headers
 * set on its raw Node response are overwritten by what the reply sends.
 */
interface NodeLikeResponse {
  setHeader(name: string, value: string | string[]): unknown;
  getHeader(name: string): number | string | string[] | undefined;
  headersSent?: boolean;
}

interface FastifyLikeReply {
  header(name: string, value: string | string[]): unknown;
  getHeader(name: string): number | string | string[] | undefined;
  removeHeader(name: string): unknown;
  raw: { headersSent?: boolean };
  sent?: boolean;
}

function fastifyReply(res: unknown): FastifyLikeReply | undefined {
  const r = res as Partial<FastifyLikeReply> | null | undefined;
  return r && typeof r.header === 'function' && typeof r.getHeader === 'function' && r.raw && typeof r.raw === 'object'
    ? (r as FastifyLikeReply)
    : undefined;
}

function nodeResponse(res: unknown): NodeLikeResponse | undefined {
  return typeof (res as NodeLikeResponse | null)?.setHeader === 'function' ? (res as NodeLikeResponse) : undefined;
}

/** Sets a response header (replacing any value) unless the headers are already sent. */
export function setResponseHeader(res: unknown, name: string, value: string): void {
  const reply = fastifyReply(res);
  if (reply) {
    if (reply.sent || reply.raw.headersSent) return;
    reply.removeHeader(name);
    reply.header(name, value);
    return;
  }
  const node = nodeResponse(res);
  if (node && !node.headersSent) node.setHeader(name, value);
}

/** Adds a value to a list header (`Set-Cookie`, `Access-Control-Expose-Headers`), keeping what is there. */
export function appendResponseHeader(res: unknown, name: string, value: string): void {
  const isCookie = name.toLowerCase() === 'set-cookie';
  const reply = fastifyReply(res);
  const node = reply ? undefined : nodeResponse(res);
  const target = reply ?? node;
  if (!target || reply?.sent || reply?.raw.headersSent || node?.headersSent) return;
  const current = target.getHeader(name);
  let next: string | string[];
  if (current === undefined) next = isCookie ? [value] : value;
  else if (Array.isArray(current)) next = [...current, value];
  else next = isCookie ? [String(current), value] : `${String(current)}, ${value}`;
  if (reply) {
    reply.removeHeader(name);
    reply.header(name, next);
  } else {
    node!.setHeader(name, next);
  }
}
