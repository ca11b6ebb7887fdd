using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace HoneyHive.Web.Tests;

/// <summary>
/// Settings: an API key shown once then only masked, and refused by the data plane once revoked; an invitation accepted
/// through its link and the new member's role changed; a provider key that is never shown back; the project's name and
/// description; and the empty and permission states.
/// </summary>
[Collection(SettingsAndPlayground.Name)]
public sealed class SettingsTests(PlaygroundUi web)
{
    [Fact]
    public async Task An_api_key_is_shown_once_listed_masked_and_refused_by_the_data_plane_once_revoked()
    {
        var page = await web.SignedInPageAsync();
        await page.GotoAsync($"/p/{web.ProjectId}/settings?tab=keys");
        var name = "ci-key-" + Guid.NewGuid().ToString("N")[..6];

        await page.GetByTestId("create-key").ClickAsync();
        await page.GetByTestId("key-name").FillAsync(name);
        await page.GetByTestId("create-key-submit").ClickAsync();
        var dialog = page.GetByTestId("new-key-dialog");
        await Assertions.Expect(dialog).ToContainTextAsync("This is the only time it is shown");
        var key = await dialog.GetByTestId("new-key-value").InputValueAsync();
        Assert.StartsWith("hh_", key, StringComparison.Ordinal);
        await Assertions.Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Copy key" })).ToBeVisibleAsync();
        await WebUi.ScreenshotAsync(page, "settings-api-key-shown-once");

        // The key works against the data plane (which learns of new keys within seconds).
        await Eventually.ValueAsync(() => DataPlaneStatusAsync(key), status => status == HttpStatusCode.OK,
            "the data plane to accept the new key", TimeSpan.FromSeconds(30));

        // Escape does not close the dialog that holds the key: only its button does, and then the key is gone from the page.
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "I have stored the key" }).ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        var row = page.GetByTestId("api-key-row").Filter(new() { HasText = name });
        await Assertions.Expect(row.GetByTestId("api-key-masked")).ToHaveTextAsync(key[..8] + "…");
        await Assertions.Expect(row.GetByTestId("api-key-status")).ToHaveTextAsync("active");
        Assert.DoesNotContain(key, await page.ContentAsync(), StringComparison.Ordinal);
        await page.ReloadAsync();
        await Assertions.Expect(row).ToBeVisibleAsync();
        Assert.DoesNotContain(key, await page.ContentAsync(), StringComparison.Ordinal);

        await row.GetByRole(AriaRole.Button, new() { Name = $"Revoke {name}" }).ClickAsync();
        var confirm = page.GetByTestId("revoke-dialog");
        await Assertions.Expect(confirm).ToContainTextAsync("This cannot be undone");
        await WebUi.ScreenshotAsync(page, "settings-api-key-revoke-confirm");
        await confirm.GetByRole(AriaRole.Button, new() { Name = "Revoke key" }).ClickAsync();
        await Assertions.Expect(confirm).ToHaveCountAsync(0);

        // Revoked keys are hidden until asked for, then listed as revoked.
        await Assertions.Expect(row).ToHaveCountAsync(0);
        await page.GetByTestId("show-revoked").CheckAsync();
        await Assertions.Expect(row.GetByTestId("api-key-status")).ToContainTextAsync("revoked");
        await WebUi.ScreenshotAsync(page, "settings-api-key-revoked");
        await Eventually.ValueAsync(() => DataPlaneStatusAsync(key), status => status == HttpStatusCode.Unauthorized,
            "the data plane to refuse the revoked key", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_project_without_keys_says_how_to_create_the_first_one()
    {
        var projectId = await web.CreateSyncedProjectAsync("keyless-" + Guid.NewGuid().ToString("N")[..6]);
        var page = await web.SignedInPageAsync();
        await page.GotoAsync($"/p/{projectId}/settings?tab=keys");

        var empty = page.GetByTestId("empty-state");
        await Assertions.Expect(empty).ToContainTextAsync("No API keys yet");
        await Assertions.Expect(empty).ToContainTextAsync("ingest");
        await Assertions.Expect(page.GetByTestId("create-key")).ToBeEnabledAsync();
        await WebUi.ScreenshotAsync(page, "settings-api-keys-empty");
    }

    [Fact]
    public async Task An_invitation_is_accepted_through_its_link_and_the_new_members_role_is_changed()
    {
        var page = await web.SignedInPageAsync();
        await page.GotoAsync($"/p/{web.ProjectId}/settings?tab=members");
        var email = $"invitee-{Guid.NewGuid():N}@example.com";

        await page.GetByTestId("invite-form").GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Invitation role").SelectOptionAsync("viewer");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send invitation" }).ClickAsync();
        var dialog = page.GetByTestId("invitation-dialog");
        await Assertions.Expect(dialog).ToContainTextAsync("This link is shown once");
        var link = await dialog.GetByTestId("invitation-link").InputValueAsync();
        Assert.Matches(new Regex("/accept-invitation\\?token=[A-Za-z0-9_-]{20,}$"), link);
        await WebUi.ScreenshotAsync(page, "settings-invitation-link");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
        var invitation = page.GetByTestId("invitation-row").Filter(new() { HasText = email });
        await Assertions.Expect(invitation.GetByTestId("invitation-status")).ToHaveTextAsync("pending");

        // The invitee opens the link in their own browser, creates their account and lands in the project.
        var invitee = await web.NewPageAsync();
        await invitee.GotoAsync(link);
        await invitee.GetByLabel("Your name").FillAsync("Grace Invitee");
        await invitee.GetByLabel("Password", new() { Exact = true }).FillAsync("a long enough password");
        await invitee.GetByLabel("Password again").FillAsync("a long enough password");
        await invitee.GetByRole(AriaRole.Button, new() { Name = "Accept invitation" }).ClickAsync();
        await invitee.WaitForURLAsync($"**/p/{web.ProjectId}/sessions");

        await page.ReloadAsync();
        var member = page.GetByTestId("member-row").Filter(new() { HasText = email });
        await Assertions.Expect(member.GetByTestId("member-project-role")).ToHaveValueAsync("viewer");
        await Assertions.Expect(invitation.GetByTestId("invitation-status")).ToHaveTextAsync("accepted");

        await member.GetByTestId("member-project-role").SelectOptionAsync("member");
        await Assertions.Expect(page.GetByTestId("member-saved")).ToContainTextAsync($"{email}: role in this project set to member");
        await member.GetByTestId("member-org-role").SelectOptionAsync("viewer");
        await Assertions.Expect(page.GetByTestId("member-saved")).ToContainTextAsync($"{email}: org role set to viewer");
        await Assertions.Expect(member.GetByTestId("member-project-role")).ToHaveValueAsync("member");
        await WebUi.ScreenshotAsync(page, "settings-member-role-changed");

        var stored = await web.MemberAsync(email);
        Assert.Equal("viewer", stored.GetProperty("role").GetString());
        var binding = stored.GetProperty("bindings").EnumerateArray().Single();
        Assert.Equal(("project", web.ProjectId, "member"),
            (binding.GetProperty("scope_type").GetString(), binding.GetProperty("scope_id").GetString(), binding.GetProperty("role").GetString()));
    }

    [Fact]
    public async Task A_provider_key_is_written_once_and_never_shown_back()
    {
        var page = await web.SignedInPageAsync();
        await page.GotoAsync($"/p/{web.ProjectId}/settings?tab=providers");
        const string secret = "sk-ant-ui-test-secret-value-7f3a9c";
        const string replacement = "sk-ant-ui-test-other-secret-41b2";

        var form = page.GetByTestId("provider-form");
        await form.GetByLabel("Provider name").FillAsync("anthropic");
        await Assertions.Expect(form.GetByTestId("provider-key-input")).ToHaveAttributeAsync("type", "password");
        await form.GetByTestId("provider-key-input").FillAsync(secret);
        await form.GetByRole(AriaRole.Button, new() { Name = "Save key" }).ClickAsync();

        var row = page.Locator("[data-testid=provider-row][data-provider=anthropic]");
        await Assertions.Expect(page.GetByTestId("provider-message")).ToContainTextAsync("The anthropic key was saved");
        await Assertions.Expect(row.GetByTestId("provider-masked")).ToHaveTextAsync("sk-ant-...3a9c");
        await Assertions.Expect(form.GetByTestId("provider-key-input")).ToHaveValueAsync("");
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
        await WebUi.ScreenshotAsync(page, "settings-provider-key-saved");

        // Replacing asks for the key again; the old one is never filled in.
        await row.GetByRole(AriaRole.Button, new() { Name = "Replace the anthropic key" }).ClickAsync();
        var replace = page.GetByTestId("replace-key-dialog");
        await Assertions.Expect(replace.GetByTestId("provider-key-input")).ToHaveValueAsync("");
        await replace.GetByTestId("provider-key-input").FillAsync(replacement);
        await replace.GetByRole(AriaRole.Button, new() { Name = "Replace key" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("provider-message")).ToContainTextAsync("The anthropic key was replaced");
        await Assertions.Expect(row.GetByTestId("provider-masked")).ToHaveTextAsync("sk-ant-...41b2");
        await page.ReloadAsync();
        await Assertions.Expect(row).ToBeVisibleAsync();
        var html = await page.ContentAsync();
        Assert.DoesNotContain(secret, html, StringComparison.Ordinal);
        Assert.DoesNotContain(replacement, html, StringComparison.Ordinal);

        await row.GetByRole(AriaRole.Button, new() { Name = "Delete the anthropic key" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete key" }).ClickAsync();
        await Assertions.Expect(row).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByTestId("provider-message")).ToContainTextAsync("The anthropic key was deleted");
    }

    [Fact]
    public async Task The_project_name_and_description_are_edited_and_the_addresses_to_send_data_are_shown()
    {
        var projectId = await web.CreateSyncedProjectAsync("editable-" + Guid.NewGuid().ToString("N")[..6]);
        var page = await web.SignedInPageAsync();
        await page.GotoAsync($"/p/{projectId}/settings?tab=project");

        await Assertions.Expect(page.GetByTestId("project-id")).ToHaveTextAsync(projectId);
        await Assertions.Expect(page.GetByTestId("otlp-url")).ToHaveTextAsync(web.OtlpHttp.ToString().TrimEnd('/') + "/v1/traces");
        await Assertions.Expect(page.GetByTestId("dp-url")).ToHaveTextAsync(web.DataPlaneApi.ToString().TrimEnd('/'));
        await Assertions.Expect(page.GetByTestId("first-trace")).ToContainTextAsync("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");

        var newName = "renamed-" + Guid.NewGuid().ToString("N")[..6];
        await page.GetByTestId("project-name").FillAsync(newName);
        await page.GetByTestId("project-description").FillAsync("Support bot, production traffic.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("project-saved")).ToHaveTextAsync("Saved.");
        await WebUi.ScreenshotAsync(page, "settings-project");

        var stored = await web.CpGetAsync($"/v1/projects/{projectId}");
        Assert.Equal(newName, stored.GetProperty("data").GetProperty("name").GetString());
        Assert.Equal("Support bot, production traffic.", stored.GetProperty("data").GetProperty("description").GetString());
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByTestId("project-name")).ToHaveValueAsync(newName);
        await Assertions.Expect(page.GetByRole(AriaRole.Combobox, new() { Name = "Project", Exact = true })).ToContainTextAsync(newName);
    }

    [Fact]
    public async Task A_viewer_is_told_which_permission_each_settings_tab_needs()
    {
        var (email, password) = await web.CreateUserAsync("viewer", "project", web.ProjectId);
        var page = await web.NewPageAsync();
        await WebUi.SignInAsync(page, email, password);
        await page.WaitForURLAsync($"**/p/{web.ProjectId}/sessions");

        await page.GotoAsync($"/p/{web.ProjectId}/settings?tab=providers");
        await Assertions.Expect(page.GetByTestId("required-permission")).ToHaveTextAsync("secrets:manage");
        await Assertions.Expect(page.GetByTestId("provider-form")).ToHaveCountAsync(0);
        await WebUi.ScreenshotAsync(page, "settings-provider-keys-forbidden");

        await page.GetByTestId("settings-tab-keys").ClickAsync();
        await Assertions.Expect(page.GetByTestId("required-permission")).ToHaveTextAsync("keys:read");
        await Assertions.Expect(page.GetByTestId("create-key")).ToBeDisabledAsync();

        await page.GetByTestId("settings-tab-members").ClickAsync();
        await Assertions.Expect(page.GetByTestId("cannot-invite")).ToContainTextAsync("members:manage");

        await page.GetByTestId("settings-tab-project").ClickAsync();
        await Assertions.Expect(page.GetByTestId("project-name")).ToBeDisabledAsync();
        await Assertions.Expect(page.GetByTestId("needs-permission")).ToContainTextAsync("projects:manage");
    }

    private async Task<HttpStatusCode> DataPlaneStatusAsync(string key)
    {
        using var client = web.Client(web.DataPlaneApi, key);
        using var response = await client.GetAsync(new Uri("/v1/configurations", UriKind.Relative));
        return response.StatusCode;
    }
}
