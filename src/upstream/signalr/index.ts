/**
 * Azure SignalR serverless upstream: `X-ASRS-*` requests for connected, disconnected and client
 * invocations, on the shared (protocol-neutral) upstream transport.
 */
export { SignalRUpstream } from './upstream.ts';
export type { SignalRUpstreamOptions, SignalRUpstreamSession, UpstreamTemplateStatus } from './upstream.ts';
export type { SignalRConnectionInfo } from './request.ts';
export { claimsHeader, headerSafe, MAX_HEADER_VALUE } from './request.ts';
export { compileTemplate, parsePattern, TemplateCache } from './templates.ts';
export type { CompiledTemplate, PatternMatcher, SignalRCategory, SignalRUpstreamTemplate } from './templates.ts';
export { invocationReply, MAX_INVOCATION_RESPONSE_BYTES } from './responses.ts';
export type { InvocationReply } from './responses.ts';
