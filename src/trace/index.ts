/**
 * Live trace and the upstream inspector (issue 14). Wiring, per node:
 *
 *   const bus = new TraceBus(nodeName);
 *   const trace = bus.resource(record.id, record.name);   // per resource
 *   new MessagingCore({ …, trace });  createUpstream({ …, capture: trace.inspector });
 *   app.register((scope) => traceRoutes(scope, …))          // the stream and inspector API
 *
 * Publishers test `trace.on` before building an event: nothing is built when no one watches.
 */
export { TraceBus, ResourceTrace, TraceSubscription, DEFAULT_MAX_QUEUED, MAX_SUBSCRIBERS_PER_RESOURCE } from './bus.ts';
export type { SubscribeOptions } from './bus.ts';
export { UpstreamInspector, MAX_CAPTURED_CALLS, MAX_REPLAY_BYTES, NotReplayableError, UnknownCallError } from './inspector.ts';
export type { CapturedCall, CapturedAttempt } from './inspector.ts';
export { decodeBearer, describeSignature, messagePreview, previewBody, redactHeaders, redactUrl, MAX_BODY_PREVIEW_BYTES, MAX_MESSAGE_PREVIEW_CHARS, REDACTED } from './redact.ts';
export type { AttemptOutcome, CallRecorder, PreflightOutcome, TraceCategory, TraceEvent, TraceInput, UpstreamCallStart, UpstreamCapture } from './types.ts';
export { traceRestCalls } from './rest-hook.ts';
export { streamToResponse } from './sse.ts';
