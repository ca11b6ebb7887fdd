// Drives the official HoneyHive TypeScript SDK's experiment-run operations (hh.experiments.*) against
// this server with only serverURL changed, the way an evaluation harness does: create a run, send a
// session per datapoint tagged with the run, declare the sessions and complete the run, read it back,
// list, summarize, compare, delete. Prints one JSON object with every call's result; exits non-zero
// when a call fails (the SDK validates responses with Zod, so a schema mismatch fails even on HTTP 200).
//
// usage: node runs.mjs <baseURL> <apiKey> [marker]
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import honeyhive from "honeyhive";

const { HoneyHive } = honeyhive;
const serverURL = process.argv[2] ?? process.env.HH_BASE_URL;
const bearerAuth = process.argv[3] ?? process.env.HH_API_KEY;
const marker = process.argv[4] ?? process.env.HH_MARKER ?? randomUUID();
if (!serverURL || !bearerAuth) {
  console.error("usage: node runs.mjs <baseURL> <apiKey> [marker]");
  process.exit(2);
}

const hh = new HoneyHive({ bearerAuth, serverURL });
const project = "ignored-by-server";
const results = { marker };
try {
  // POST /runs
  results.createRun = await hh.experiments.createRun({
    project,
    name: `sdk-run-${marker}`,
    eventIds: [],
    datasetId: `sdk-dataset-${marker}`,
    datapointIds: ["dp-sdk-1"],
    configuration: { model: "gpt-4o" },
    metadata: { marker },
    status: "pending",
  });
  const runId = results.createRun.runId;

  // One datapoint's session and its evaluated model call, tagged with the run as the SDK's evaluate() does.
  const metadata = { run_id: runId, datapoint_id: "dp-sdk-1", dataset_id: `sdk-dataset-${marker}` };
  const session = await hh.session.startSession({
    session: { project, sessionName: "sdk-eval", source: "evaluation", inputs: { question: "2+2?" }, metadata },
  });
  await hh.events.createEvent({
    event: {
      project, source: "evaluation", eventName: "answer", eventType: "model", sessionId: session.sessionId,
      config: { model: "gpt-4o" }, inputs: { question: "2+2?" }, outputs: { content: "4" }, duration: 5,
      metadata, metrics: { accuracy: 0.75, accuracy_explanation: "close" },
    },
  });

  // PUT /runs/{id}: declare the sessions and complete the run.
  results.updateRun = await hh.experiments.updateRun({ eventIds: [session.sessionId], status: "completed", metadata: { done: true } }, runId);
  results.sessionId = session.sessionId;

  // GET /runs/{id}, GET /runs
  results.getRun = await hh.experiments.getRun(runId);
  results.getRuns = await hh.experiments.getRuns(project);

  // GET /runs/{id}/result: the Writer stores events asynchronously, so poll (bounded) until the metric is there.
  for (let attempt = 0; attempt < 120; attempt++) {
    results.getExperimentResult = await hh.experiments.getExperimentResult(runId, project, "average");
    if ((results.getExperimentResult.metrics?.details ?? []).some((d) => d.metricName === "accuracy")) break;
    await sleep(500);
  }

  // A second run for the same datapoint, then GET /runs/{a}/compare-with/{b}.
  const baseline = await hh.experiments.createRun({ project, name: `sdk-baseline-${marker}`, eventIds: [] });
  results.getExperimentComparison = await hh.experiments.getExperimentComparison(runId, baseline.runId, project, "average");

  // DELETE /runs/{id}
  results.deleteRun = await hh.experiments.deleteRun(runId);
  results.deleteBaseline = await hh.experiments.deleteRun(baseline.runId);
  try {
    await hh.experiments.getRun(runId);
    results.getAfterDelete = { statusCode: 200 };
  } catch (error) {
    results.getAfterDelete = { statusCode: error?.statusCode ?? error?.rawResponse?.status ?? null, name: error?.name };
  }

  console.log(JSON.stringify(results));
} catch (error) {
  results.error = { name: error?.name, message: error?.message, statusCode: error?.statusCode, body: error?.body, cause: String(error?.cause ?? "") };
  console.log(JSON.stringify(results));
  process.exit(1);
}
