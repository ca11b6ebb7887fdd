// OpenTelemetry JS (the real @opentelemetry packages, as GenAI instrumentations use them): one model span through the
// trace exporter and its GenAI events (semantic conventions up to 1.36: log records named by the event.name attribute,
// bodies as AnyValue maps, inside the span's context) through the log exporter, both OTLP/HTTP protobuf.
// Usage: node otel-genai-logs.mjs <otlp http base> <api key> <marker>; prints {"trace_id": "..."}.
import { context, trace, SpanKind } from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { Resource } from '@opentelemetry/resources';

const [base, apiKey, marker] = process.argv.slice(2);
const headers = { Authorization: `Bearer ${apiKey}` };
const resource = new Resource({ 'service.name': `otel-js-genai-${marker}` });

const tracerProvider = new BasicTracerProvider({ resource });
tracerProvider.addSpanProcessor(new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces`, headers })));
const loggerProvider = new LoggerProvider({ resource });
loggerProvider.addLogRecordProcessor(new SimpleLogRecordProcessor(new OTLPLogExporter({ url: `${base}/v1/logs`, headers })));

const tracer = tracerProvider.getTracer('openai-instrumentation-js');
const logger = loggerProvider.getLogger('openai-instrumentation-js');
const span = tracer.startSpan('chat gpt-4o-mini', {
  kind: SpanKind.CLIENT,
  attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' },
});
const inSpan = trace.setSpan(context.active(), span);
const event = (name, body) => logger.emit({ context: inSpan, attributes: { 'event.name': name, 'gen_ai.system': 'openai' }, body });
event('gen_ai.system.message', { content: 'You answer in one word.' });
event('gen_ai.user.message', { content: `Capital of France? ${marker}` });
event('gen_ai.choice', { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Paris' } });
span.end();

await tracerProvider.forceFlush();
await loggerProvider.forceFlush();
await tracerProvider.shutdown();
await loggerProvider.shutdown();
console.log(JSON.stringify({ trace_id: span.spanContext().traceId }));
