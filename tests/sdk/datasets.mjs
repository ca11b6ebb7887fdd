// Drives the dataset and datapoint operations of the official HoneyHive TypeScript SDK (npm
// `honeyhive` 1.0.42) against this server, with only serverURL changed. Prints one JSON object
// with every call's result; exits non-zero when any call fails (the SDK validates responses with
// Zod, so a schema mismatch fails here even on HTTP 200).
//
// usage: node datasets.mjs <baseURL> <apiKey> [marker]
//    or: HH_BASE_URL=... HH_API_KEY=... HH_MARKER=... node datasets.mjs
import { randomUUID } from "node:crypto";
import honeyhive from "honeyhive";

const { HoneyHive } = honeyhive;
const serverURL = process.argv[2] ?? process.env.HH_BASE_URL;
const bearerAuth = process.argv[3] ?? process.env.HH_API_KEY;
const marker = process.argv[4] ?? process.env.HH_MARKER ?? randomUUID();
if (!serverURL || !bearerAuth) {
  console.error("usage: node datasets.mjs <baseURL> <apiKey> [marker]");
  process.exit(2);
}

const hh = new HoneyHive({ bearerAuth, serverURL });
const project = "ignored-by-server";
const name = `sdk-dataset-${marker}`;
const results = { marker, name };
try {
  // POST /datasets
  results.createDataset = await hh.datasets.createDataset({
    project,
    name,
    description: "made by the official SDK",
    type: "evaluation",
    pipelineType: "event",
    metadata: { marker },
  });
  const datasetId = results.createDataset.result.insertedId;

  // GET /datasets?project=&type=&dataset_id=
  results.listCreated = await hh.datasets.getDatasets(project, "evaluation", datasetId);

  // POST /datapoints, linked to the dataset
  results.createDatapoint = await hh.datapoints.createDatapoint({
    project,
    inputs: { question: "What is the capital of France?" },
    history: [{ role: "user", content: "What is the capital of France?" }],
    groundTruth: { answer: "Paris" },
    linkedDatasets: [datasetId],
    metadata: { marker },
  });
  const datapointId = results.createDatapoint.result.insertedId;

  // POST /datasets/{dataset_id}/datapoints with a field mapping
  results.addDatapoints = await hh.datasets.addDatapoints(
    {
      project,
      data: [
        { q: "2+2?", a: "4", note: "kept as metadata" },
        { q: "3+3?", a: "6", note: "kept as metadata" },
      ],
      mapping: { inputs: ["q"], groundTruth: ["a"], history: [] },
    },
    datasetId,
  );

  // GET /datapoints?dataset_name=
  results.listByDataset = await hh.datapoints.getDatapoints(project, undefined, name);

  // PUT /datapoints/{id}, then GET /datapoints/{id}
  await hh.datapoints.updateDatapoint({ inputs: { question: "What is the capital of Italy?" }, groundTruth: { answer: "Rome" } }, datapointId);
  results.updatedDatapoint = await hh.datapoints.getDatapoint(datapointId);

  // PUT /datasets (id in the body)
  await hh.datasets.updateDataset({ datasetId, name: `${name}-renamed`, description: "renamed by the SDK" });
  results.listUpdated = await hh.datasets.getDatasets(project, undefined, datasetId);

  // GET /datapoints?datapoint_ids=...
  const added = results.addDatapoints.datapointIds;
  results.listByIds = await hh.datapoints.getDatapoints(project, added);

  // DELETE /datapoints/{id}, DELETE /datasets?dataset_id=
  results.deleteDatapoint = await hh.datapoints.deleteDatapoint(datapointId);
  await hh.datasets.deleteDataset(datasetId);
  results.listDeleted = await hh.datasets.getDatasets(project, undefined, datasetId);
  results.datasetId = datasetId;
  results.datapointId = datapointId;
  console.log(JSON.stringify(results));
} catch (error) {
  results.error = { name: error?.name, message: error?.message, statusCode: error?.statusCode, body: error?.body, cause: String(error?.cause ?? "") };
  console.log(JSON.stringify(results));
  process.exit(1);
}
