// The official SDK's session.getSession (GET /session/{session_id}, no /v1) against this server: starts a
// session and an event, waits until the Writer stored the session, reads it back through the SDK (whose Zod
// Event schema validates the answer) and reads an unknown session, which must fail with 404.
//
// usage: node get-session.mjs <baseURL> <apiKey> [marker]
import { randomUUID } from "node:crypto";
import honeyhive from "honeyhive";

const { HoneyHive } = honeyhive;
const [serverURL, bearerAuth, marker = randomUUID()] = process.argv.slice(2);
if (!serverURL || !bearerAuth) {
  console.error("usage: node get-session.mjs <baseURL> <apiKey> [marker]");
  process.exit(2);
}

const hh = new HoneyHive({ bearerAuth, serverURL });
const results = { marker };
try {
  const session = await hh.session.startSession({
    session: { project: "ignored-by-server", sessionName: "sdk-get-session", source: "sdk-e2e", metadata: { marker } },
  });
  const sessionId = session.sessionId;
  await hh.events.createEvent({
    event: { project: "ignored-by-server", source: "sdk-e2e", eventName: "step", eventType: "tool", sessionId, config: {}, inputs: { marker }, duration: 5 },
  });

  // Ingestion answers once the events are in the message log; the Writer stores them shortly after.
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      results.getSession = await hh.session.getSession(sessionId);
      // The Writer inserts a batch's events before the session rows it rolls up, so for a moment the tree
      // can show the event under a stand-in root: wait for the stored session row itself.
      if (results.getSession?.metadata?.num_events >= 1 && results.getSession?.eventName === "sdk-get-session") break;
    } catch (error) {
      if (error?.statusCode !== 404) throw error;
    }
    if (Date.now() > deadline) throw new Error(`session ${sessionId} was not readable in time`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  try {
    await hh.session.getSession(randomUUID());
    results.unknown = { statusCode: 200 };
  } catch (error) {
    results.unknown = { statusCode: error?.statusCode };
  }
  console.log(JSON.stringify(results));
} catch (error) {
  results.error = { name: error?.name, message: error?.message, statusCode: error?.statusCode, body: error?.body, cause: String(error?.cause ?? "") };
  console.log(JSON.stringify(results));
  process.exit(1);
}
