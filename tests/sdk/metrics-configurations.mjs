// Drives the official HoneyHive TypeScript SDK (npm `honeyhive` 1.0.42) through its metric and
// configuration operations against this server: create, list, update, list again, delete. Prints
// one JSON object with what each list returned; exits non-zero when any call fails (the SDK parses
// every list with Zod, so a shape mismatch fails here even on HTTP 200).
//
// usage: node metrics-configurations.mjs <baseURL> <apiKey> [marker]
import { randomUUID } from "node:crypto";
import honeyhive from "honeyhive";

const { HoneyHive } = honeyhive;
const serverURL = process.argv[2] ?? process.env.HH_BASE_URL;
const bearerAuth = process.argv[3] ?? process.env.HH_API_KEY;
const marker = process.argv[4] ?? process.env.HH_MARKER ?? randomUUID();
if (!serverURL || !bearerAuth) {
  console.error("usage: node metrics-configurations.mjs <baseURL> <apiKey> [marker]");
  process.exit(2);
}

const hh = new HoneyHive({ bearerAuth, serverURL });
const project = "sdk-project";
const metricName = `sdk-metric-${marker}`;
const judgeName = `sdk-judge-${marker}`;
const configName = `sdk-config-${marker}`;
const results = { marker };
try {
  // POST /metrics (a Python metric is "custom" with its code in code_snippet in this SDK)
  await hh.metrics.createMetric({
    name: metricName,
    task: project,
    type: "custom",
    description: "length check",
    codeSnippet: "def metric(event):\n    return len(event['outputs']['content']) > 0",
    returnType: "boolean",
    passWhen: true,
    eventName: "answer",
    eventType: "model",
  });
  await hh.metrics.createMetric({
    name: judgeName,
    task: project,
    type: "model",
    description: "LLM judge",
    prompt: "Rate {{outputs.content}} from 1 to 5",
    returnType: "float",
    threshold: { min: 3, max: 5 },
    modelProvider: "openai",
    modelName: "gpt-4o",
  });
  // GET /metrics?project_name=
  const created = await hh.metrics.getMetrics(project);
  const metric = created.find((m) => m.name === metricName);
  const judge = created.find((m) => m.name === judgeName);
  if (!metric?.id || !judge?.id) throw new Error(`created metrics not listed: ${JSON.stringify(created)}`);
  results.createdMetric = metric;
  results.createdJudge = judge;

  // PUT /metrics
  await hh.metrics.updateMetric({ metricId: metric.id, description: "length check v2", enabledInProd: true });
  results.updatedMetric = (await hh.metrics.getMetrics(project)).find((m) => m.id === metric.id);

  // DELETE /metrics?metric_id=
  await hh.metrics.deleteMetric(judge.id);
  results.metricsAfterDelete = (await hh.metrics.getMetrics(project)).filter((m) => m.name.endsWith(marker)).map((m) => m.name);

  // POST /configurations
  await hh.configurations.createConfiguration({
    project,
    name: configName,
    provider: "openai",
    env: ["dev"],
    parameters: {
      callType: "chat",
      model: "gpt-4o",
      hyperparameters: { temperature: 0.1 },
      // This SDK requires the bag of extra parameters and sends its keys as parameters' own.
      additionalProperties: { template: [{ role: "system", content: "You answer briefly." }] },
    },
    userProperties: { marker },
  });
  // GET /configurations?project=&name=
  const configs = await hh.configurations.getConfigurations(project, undefined, configName);
  const config = configs.find((c) => c.name === configName);
  if (!config?.id) throw new Error(`created configuration not listed: ${JSON.stringify(configs)}`);
  results.createdConfiguration = config;

  // PUT /configurations/{id}
  await hh.configurations.updateConfiguration(
    { project, name: configName, provider: "anthropic", env: ["dev", "prod"], type: "LLM", parameters: { callType: "chat", model: "claude-3-5-sonnet", additionalProperties: {} } },
    config.id,
  );
  results.prodConfigurations = (await hh.configurations.getConfigurations(project, "prod", configName));

  // DELETE /configurations/{id}
  await hh.configurations.deleteConfiguration(config.id);
  results.configurationsAfterDelete = (await hh.configurations.getConfigurations(project, undefined, configName)).length;
  console.log(JSON.stringify(results));
} catch (error) {
  results.error = { name: error?.name, message: error?.message, statusCode: error?.statusCode, body: error?.body, cause: String(error?.cause ?? "") };
  console.log(JSON.stringify(results));
  process.exit(1);
}
