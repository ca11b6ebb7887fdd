using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using HoneyHive.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;

namespace HoneyHive.DataPlane.Tests;

/// <summary>
/// One API error model: a wrong request is an <see cref="ApiRequestException"/> (status, field, message),
/// answered as problem details by <see cref="ApiRequestExceptionHandler"/> only. The source guards fail
/// when a handler answers the exception itself or a second request-exception type appears.
/// </summary>
public sealed partial class ApiErrorModelTests
{
    [Fact]
    public async Task Refusal_with_a_field_is_answered_as_problem_details_with_errors_keyed_by_that_field()
    {
        await using var app = await StartAsync(() => throw ApiRequestException.NotFound("dataset_id", "Dataset 42 not found."));
        using var response = await app.GetTestClient().GetAsync(new Uri("/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
        Assert.Equal("Dataset 42 not found.", problem.GetProperty("detail").GetString());
        Assert.Equal("dataset_id", problem.GetProperty("field").GetString());
        Assert.Equal("Dataset 42 not found.", problem.GetProperty("errors").GetProperty("dataset_id")[0].GetString());
    }

    [Fact]
    public async Task Refusal_of_several_fields_is_a_400_listing_each_field()
    {
        var errors = new Dictionary<string, string[]> { ["name"] = ["Required."], ["threshold.min"] = ["Must be a number."] };
        await using var app = await StartAsync(() => throw new ApiRequestException(errors));
        using var response = await app.GetTestClient().GetAsync(new Uri("/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(new[] { "name", "threshold.min" }, problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order(StringComparer.Ordinal));
        Assert.False(problem.TryGetProperty("field", out _));
    }

    [Fact]
    public async Task Refusal_is_answered_even_when_the_client_accepts_no_json()
    {
        await using var app = await StartAsync(() => throw ApiRequestException.TooLarge(null, "The body is too large."));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-protobuf"));
        using var response = await app.GetTestClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("The body is too large.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public void No_service_code_answers_the_request_exception_itself()
    {
        var offenders = new List<string>();
        foreach (var file in ServiceSources())
        {
            foreach (Match m in CatchOfRequestException().Matches(File.ReadAllText(file)))
            {
                // Translating (re-keying) and throwing on is allowed; returning an answer is not.
                if (!m.Groups["block"].Value.Contains("throw", StringComparison.Ordinal)) offenders.Add(file);
            }
        }

        Assert.Empty(offenders);
    }

    [Fact]
    public void Only_one_exception_type_refuses_requests()
    {
        var types = ServiceSources()
            .SelectMany(f => ExceptionClass().Matches(File.ReadAllText(f)).Select(m => m.Groups["name"].Value))
            .Where(name => RequestLike().IsMatch(name))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(new[] { "ApiRequestException" }, types);
    }

    private static async Task<WebApplication> StartAsync(Action refuse)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddApiRequestErrors();
        var app = builder.Build();
        app.UseExceptionHandler();
        app.MapGet("/", IResult () =>
        {
            refuse();
            return TypedResults.Ok();
        });
        await app.StartAsync();
        return app;
    }

    private static IEnumerable<string> ServiceSources()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory.FullName, "HoneyHive.sln")))
            directory = directory.Parent ?? throw new InvalidOperationException("HoneyHive.sln not found above the test assembly.");
        var sources = Directory.EnumerateFiles(Path.Combine(directory.FullName, "services"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(sources);
        return sources;
    }

    // The catch clause, then its block up to the first line holding only its closing brace.
    [GeneratedRegex(@"catch\s*\(\s*ApiRequestException[^\n]*\n\s*\{(?<block>.*?)\n\s*\}\s*\n", RegexOptions.Singleline)]
    private static partial Regex CatchOfRequestException();

    [GeneratedRegex(@"class\s+(?<name>\w+Exception)\b")]
    private static partial Regex ExceptionClass();

    [GeneratedRegex("Request|Validation|Conflict|NotFound|Invalid")]
    private static partial Regex RequestLike();
}
