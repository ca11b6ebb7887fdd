using HoneyHive.DataPlane.Api;
using HoneyHive.DataPlane.Api.Datasets;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.DataPlane.Api.Runs;
using HoneyHive.Evaluation;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Objects;

// dp-evaluation (distributed mode). It reads the DP's own stores (dpdb, ClickHouse, the object store) with the DP's
// code and authenticates callers as dp-api does; dp-api owns the migrations. In single node the Host composes the same
// module beside the DP API, which registers these already.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddDataPlaneAuthentication();
builder.AddAnalyticsStore();
builder.AddObjectStore();
builder.AddDataPlaneQueries();
builder.AddDefinitionStores();
builder.AddRuns();
builder.AddDatasets();
builder.AddEvaluation();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapEvaluation();
app.Run();
