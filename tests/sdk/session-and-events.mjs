// Drives the official HoneyHive TypeScript SDK (npm `honeyhive`) against this server, exactly as an
// application would with only serverURL changed. Prints one JSON object with every call's result;
// exits non-zero when any call fails (the SDK validates responses with Zod, so a schema mismatch
// fails here even on HTTP 200).
//
// usage: node session-and-events.mjs <baseURL> <apiKey> [marker]
//    or: HH_BASE_URL=... HH_API_KEY=... HH_MARKER=... node session-and-events.mjs
import { randomUUID } from "node:crypto";
import honeyhive from "honeyhive";

const { HoneyHive } = honeyhive;
const serverURL = process.argv[2] ?? process.env.HH_BASE_URL;
const bearerAuth = process.argv[3] ?? process.env.HH_API_KEY;
const marker = process.argv[4] ?? process.env.HH_MARKER ?? randomUUID();
if (!serverURL || !bearerAuth) {
  console.error("usage: node session-and-events.mjs <baseURL> <apiKey> [marker]");
  process.exit(2);
}

const hh = new HoneyHive({ bearerAuth, serverURL });
const results = { marker };
try {
  // POST /session/start
  const session = await hh.session.startSession({
    session: {
      project: "ignored-by-server",
      sessionName: "sdk-session",
      source: "sdk-e2e",
      inputs: { question: "What is the capital of France?" },
      metadata: { marker },
      userProperties: { user: "sdk-user" },
    },
  });
  results.startSession = session;
  const sessionId = session.sessionId;

  // POST /events
  results.createEvent = await hh.events.createEvent({
    event: {
      project: "ignored-by-server",
      source: "sdk-e2e",
      eventName: "retrieve",
      eventType: "tool",
      sessionId,
      config: {},
      inputs: { query: "capital of France" },
      outputs: { documents: ["Paris is the capital of France."] },
      duration: 12,
      metadata: { marker },
    },
  });

  // POST /events/model
  results.createModelEvent = await hh.events.createModelEvent({
    modelEvent: {
      project: "ignored-by-server",
      model: "gpt-4o",
      provider: "openai",
      messages: [{ role: "user", content: "What is the capital of France?" }],
      response: { role: "assistant", content: "Paris" },
      duration: 420,
      usage: { prompt_tokens: 14, completion_tokens: 1, total_tokens: 15 },
      cost: 0.00005,
      eventName: "answer",
      source: "sdk-e2e",
      hyperparameters: { temperature: 0 },
      templateInputs: { country: "France" },
    },
  });

  // POST /events/batch with a single new session
  results.createEventBatch = await hh.events.createEventBatch({
    events: [
      { project: "ignored-by-server", source: "sdk-e2e", eventName: "plan", eventType: "chain", config: {}, inputs: { step: 1 }, duration: 3, metadata: { marker } },
      { project: "ignored-by-server", source: "sdk-e2e", eventName: "act", eventType: "tool", config: {}, inputs: { step: 2 }, duration: 4, metadata: { marker } },
    ],
    isSingleSession: true,
    sessionProperties: { sessionName: "sdk-batch-session", source: "sdk-e2e", metadata: { marker } },
  });

  // POST /events/model/batch
  results.createModelEventBatch = await hh.events.createModelEventBatch({
    modelEvents: [
      {
        project: "ignored-by-server",
        model: "claude-3-5-sonnet",
        provider: "anthropic",
        messages: [{ role: "user", content: "hi" }],
        response: { role: "assistant", content: "hello" },
        duration: 100,
        usage: { prompt_tokens: 1, completion_tokens: 1 },
        eventName: "batched-answer",
        source: "sdk-e2e",
      },
    ],
  });
  // PUT /events: answers 200 without a body (the SDK validates that).
  await hh.events.updateEvent({
    eventId: results.createEvent.eventId,
    feedback: { rating: 5 },
    metadata: { updated_by: "sdk" },
  });
  results.updateEvent = { success: true };
  console.log(JSON.stringify(results));
} catch (error) {
  results.error = { name: error?.name, message: error?.message, statusCode: error?.statusCode, body: error?.body, cause: String(error?.cause ?? "") };
  console.log(JSON.stringify(results));
  process.exit(1);
}
