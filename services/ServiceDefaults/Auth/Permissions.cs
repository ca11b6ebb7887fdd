namespace HoneyHive.ServiceDefaults.Auth;

/// <summary>
/// The named permissions every route of both planes is checked against, the built-in roles made of
/// them, and what a project API key's scopes grant. One catalog, so a custom role, a control-plane key
/// and a data-plane route all speak the same names (<c>resource:action</c>, as HoneyHive's and
/// Langfuse's RBAC do).
/// </summary>
public static class Permissions
{
    // Data plane: a project's traces and the objects built from them.
    public const string EventsIngest = "events:ingest";
    public const string EventsRead = "events:read";
    public const string EventsWrite = "events:write";
    public const string DatasetsRead = "datasets:read";
    public const string DatasetsWrite = "datasets:write";
    public const string ExperimentsRead = "experiments:read";
    public const string ExperimentsWrite = "experiments:write";
    public const string MetricsRead = "metrics:read";
    public const string MetricsWrite = "metrics:write";
    public const string ConfigurationsRead = "configurations:read";
    public const string ConfigurationsWrite = "configurations:write";
    public const string SecretsManage = "secrets:manage";

    /// <summary>Calling models through the LLM proxy: spends the workspace's provider credit.</summary>
    public const string LlmInvoke = "llm:invoke";

    // Both planes: the tenancy tree.
    public const string ProjectsRead = "projects:read";
    public const string ProjectsManage = "projects:manage";
    public const string WorkspacesRead = "workspaces:read";
    public const string WorkspacesManage = "workspaces:manage";
    public const string DataplanesRead = "dataplanes:read";
    public const string DataplanesManage = "dataplanes:manage";

    // Control plane: people, roles, keys, the audit log, the org itself.
    public const string MembersRead = "members:read";
    public const string MembersManage = "members:manage";
    public const string RolesManage = "roles:manage";
    public const string KeysRead = "keys:read";
    public const string KeysManage = "keys:manage";
    public const string AuditRead = "audit:read";

    // Control plane: alerts of a project, and where notifications go (channels hold webhook secrets: admins only).
    public const string AlertsRead = "alerts:read";
    public const string AlertsManage = "alerts:manage";
    public const string NotificationsManage = "notifications:manage";

    /// <summary>The org's single sign-on connections (they decide who may sign in and with which role): admins.</summary>
    public const string SsoManage = "sso:manage";

    /// <summary>Granting or revoking the owner role, deleting the org: owners only.</summary>
    public const string OrgManage = "org:manage";

    /// <summary>Every permission this version knows.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        EventsIngest, EventsRead, EventsWrite, DatasetsRead, DatasetsWrite, ExperimentsRead, ExperimentsWrite,
        MetricsRead, MetricsWrite, ConfigurationsRead, ConfigurationsWrite, SecretsManage, LlmInvoke,
        ProjectsRead, ProjectsManage, WorkspacesRead, WorkspacesManage, DataplanesRead, DataplanesManage,
        MembersRead, MembersManage, RolesManage, KeysRead, KeysManage, AuditRead, AlertsRead, AlertsManage, NotificationsManage, SsoManage, OrgManage,
    ];

    private static readonly HashSet<string> Known = new(All, StringComparer.Ordinal);

    public static bool IsKnown(string permission) => Known.Contains(permission);

    /// <summary>The known permissions among <paramref name="granted"/>; unknown strings (a newer version's, a typo) grant nothing.</summary>
    public static IReadOnlyList<string> KnownOnly(IEnumerable<string> granted) => [.. granted.Where(IsKnown).Distinct(StringComparer.Ordinal)];

    /// <summary>
    /// The project API key scope that grants a data-plane permission (the 403 names it to key holders). Null for
    /// control-plane permissions, which no project key carries.
    /// </summary>
    public static string? KeyScopeFor(string permission) => permission switch
    {
        EventsIngest => ApiScopes.Ingest,
        EventsRead or DatasetsRead or ExperimentsRead or MetricsRead or ConfigurationsRead or ProjectsRead => ApiScopes.Read,
        EventsWrite or DatasetsWrite or ExperimentsWrite or MetricsWrite or ConfigurationsWrite or LlmInvoke => ApiScopes.Write,
        SecretsManage => ApiScopes.Admin,
        _ => null,
    };

    /// <summary>
    /// What a project API key with <paramref name="scopes"/> may do in its project, under <see cref="ApiScopes"/>'
    /// rule (read &lt; write &lt; admin, ingest alone): the data-plane permissions whose key scope the key satisfies.
    /// </summary>
    public static IReadOnlyList<string> ForKeyScopes(IEnumerable<string> scopes)
    {
        var granted = ApiScopes.KnownOnly(scopes);
        return [.. All.Where(p => KeyScopeFor(p) is { } scope && ApiScopes.Allows(granted, scope))];
    }
}

/// <summary>
/// The built-in roles. A custom role is an org's own name for a set of permissions; built-in names
/// cannot be taken by one.
/// </summary>
public static class BuiltInRoles
{
    public const string Owner = "owner";
    public const string Admin = "admin";
    public const string Member = "member";
    public const string Viewer = "viewer";

    public static IReadOnlyList<string> Names { get; } = [Owner, Admin, Member, Viewer];

    private static readonly string[] ViewerPermissions =
    [
        Permissions.EventsRead, Permissions.DatasetsRead, Permissions.ExperimentsRead, Permissions.MetricsRead,
        Permissions.ConfigurationsRead, Permissions.ProjectsRead, Permissions.WorkspacesRead, Permissions.DataplanesRead,
        Permissions.MembersRead, Permissions.AlertsRead,
    ];

    // A member does the work of a project (traces, datasets, experiments) but changes neither people nor structure.
    private static readonly string[] MemberPermissions =
    [
        .. ViewerPermissions, Permissions.EventsIngest, Permissions.EventsWrite, Permissions.DatasetsWrite,
        Permissions.ExperimentsWrite, Permissions.MetricsWrite, Permissions.ConfigurationsWrite, Permissions.LlmInvoke, Permissions.KeysRead,
        Permissions.AlertsManage,
    ];

    // An admin manages everything but ownership: only an owner makes or unmakes owners.
    private static readonly string[] AdminPermissions = [.. Permissions.All.Where(p => p != Permissions.OrgManage)];

    private static readonly Dictionary<string, IReadOnlyList<string>> ByName = new(StringComparer.Ordinal)
    {
        [Owner] = Permissions.All,
        [Admin] = AdminPermissions,
        [Member] = MemberPermissions,
        [Viewer] = ViewerPermissions,
    };

    public static bool IsBuiltIn(string role) => ByName.ContainsKey(role);

    /// <summary>The permissions of a built-in role, or null when <paramref name="role"/> is not one.</summary>
    public static IReadOnlyList<string>? PermissionsOf(string role) => ByName.GetValueOrDefault(role);
}
