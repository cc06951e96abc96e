// The seed's app server (docs seed 002, "use different credentials while using multiple endpoints"):
// ASP.NET Core SignalR in Azure SignalR default mode, configured only from environment variables so
// the tests can point it at Lapis (or at a stand-in service) without changing code.
//
//   LAPIS_APP_MODE           "entra" (default): ServiceEndpoint(Uri, TokenCredential) per endpoint;
//                            "connection-string": AddAzureSignalR(<connection string>);
//                            "self-hosted": plain ASP.NET Core SignalR, no Azure SDK (the baseline).
//   LAPIS_APP_URLS           where Kestrel listens (e.g. http://127.0.0.1:5123).
//   entra mode:
//     LAPIS_AUTHORITY_HOST   the identity service's authority host (https://…).
//     LAPIS_TENANT_ID        the tenant of both applications.
//     LAPIS_ENDPOINT_1       first SignalR resource; credential: ClientSecretCredential with
//     LAPIS_CLIENT_ID_1, LAPIS_CLIENT_SECRET_1.
//     LAPIS_ENDPOINT_2       optional second resource; credential: ClientCertificateCredential with
//     LAPIS_CLIENT_ID_2, LAPIS_CLIENT_CERT_PATH_2 (PEM or PFX); LAPIS_ENDPOINT_2_TYPE=Secondary optional.
//   connection-string mode:
//     LAPIS_CONNECTION_STRING    e.g. Endpoint=https://localhost:8443;AccessKey=…;Version=1.0;
//     LAPIS_CONNECTION_STRING_2  optional second endpoint.
//   config mode: endpoints only from configuration (Azure:SignalR:Endpoints:<name> = <connection string>),
//     LAPIS_ENDPOINTS_FILE   a JSON file holding them, reloaded on change (endpoints added/removed at run time).
//   LAPIS_SERVER_CONNECTION_COUNT  optional InitialHubServerConnectionCount (SDK default when unset).
//   LAPIS_GRACEFUL_SHUTDOWN        optional GracefulShutdown mode name (e.g. WaitForClientsClose).
using System.Security.Claims;
using Azure.Core;
using Azure.Identity;
using LapisInterop;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Azure.SignalR;

// `token …` / `secret …`: one-shot identity commands for the tests (Commands.cs), no web app.
if (args.Length > 0 && args[0] is "token" or "secret") return await Commands.Run(args);

var builder = WebApplication.CreateBuilder(args);
string? Env(string name) => string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)) ? null : Environment.GetEnvironmentVariable(name);
string Need(string name) => Env(name) ?? throw new InvalidOperationException($"environment variable {name} is required");

var urls = Env("LAPIS_APP_URLS");
if (urls != null) builder.WebHost.UseUrls(urls);

var mode = Env("LAPIS_APP_MODE") ?? "entra";
var endpointsFile = Env("LAPIS_ENDPOINTS_FILE");
if (endpointsFile != null) builder.Configuration.AddJsonFile(endpointsFile, optional: false, reloadOnChange: true);
// AddMessagePackProtocol: without it the app refuses MessagePack clients ("The protocol
// 'messagepack' is not supported."), on Azure as self-hosted.
var signalR = builder.Services.AddSignalR().AddMessagePackProtocol();
if (mode != "self-hosted") signalR.AddAzureSignalR(option =>
{
    if (mode == "connection-string")
    {
        var second = Env("LAPIS_CONNECTION_STRING_2");
        option.Endpoints = second == null
            ? new[] { new ServiceEndpoint(Need("LAPIS_CONNECTION_STRING")) }
            : new[] { new ServiceEndpoint(Need("LAPIS_CONNECTION_STRING")), new ServiceEndpoint(second) };
    }
    else if (mode == "entra")
    {
        // Only the options a user sets for a non-Microsoft authority.
        var authority = new Uri(Need("LAPIS_AUTHORITY_HOST"));
        var tenant = Need("LAPIS_TENANT_ID");
        TokenCredential credential1 = new ClientSecretCredential(tenant, Need("LAPIS_CLIENT_ID_1"), Need("LAPIS_CLIENT_SECRET_1"),
            new ClientSecretCredentialOptions { AuthorityHost = authority, DisableInstanceDiscovery = true });
        var endpoints = new List<ServiceEndpoint> { new ServiceEndpoint(new Uri(Need("LAPIS_ENDPOINT_1")), credential1) };
        var endpoint2 = Env("LAPIS_ENDPOINT_2");
        if (endpoint2 != null)
        {
            TokenCredential credential2 = new ClientCertificateCredential(tenant, Need("LAPIS_CLIENT_ID_2"), Need("LAPIS_CLIENT_CERT_PATH_2"),
                new ClientCertificateCredentialOptions { AuthorityHost = authority, DisableInstanceDiscovery = true });
            var type2 = Env("LAPIS_ENDPOINT_2_TYPE") == "Secondary" ? EndpointType.Secondary : EndpointType.Primary;
            endpoints.Add(new ServiceEndpoint(new Uri(endpoint2), credential2, type2));
        }
        option.Endpoints = endpoints.ToArray();
    }
    else if (mode != "config")
    {
        throw new InvalidOperationException($"LAPIS_APP_MODE must be 'entra', 'connection-string' or 'config', not '{mode}'");
    }
    var count = Env("LAPIS_SERVER_CONNECTION_COUNT");
    if (count != null) option.InitialHubServerConnectionCount = int.Parse(count);
    var graceful = Env("LAPIS_GRACEFUL_SHUTDOWN");
    if (graceful != null) option.GracefulShutdown.Mode = Enum.Parse<GracefulShutdownMode>(graceful);
});

var app = builder.Build();

// Test identity: `?user=<id>&name=<display>&role=<r>&role=…` on the negotiate request becomes the
// request's user, the way a real app's authentication would; the SDK puts these claims into the
// client token and the service hands them back in OpenConnection.
app.Use(async (context, next) =>
{
    var user = context.Request.Query["user"].ToString();
    if (user.Length > 0)
    {
        var claims = new List<Claim> { new Claim(ClaimTypes.NameIdentifier, user) };
        var name = context.Request.Query["name"].ToString();
        if (name.Length > 0) claims.Add(new Claim(ClaimTypes.Name, name));
        foreach (var role in context.Request.Query["role"]) if (!string.IsNullOrEmpty(role)) claims.Add(new Claim(ClaimTypes.Role, role));
        context.User = new ClaimsPrincipal(new ClaimsIdentity(claims, "LapisTest"));
    }
    await next();
});

app.MapGet("/healthz", () => Results.Text("ok"));
app.MapHub<ChatHub>("/chat");

// Server-initiated sends through IHubContext (what a background job or a web API of the app does).
app.MapPost("/api/broadcast", async (IHubContext<ChatHub> hub, HttpRequest req) =>
{
    var message = req.Query["message"].ToString();
    await hub.Clients.All.SendAsync("broadcast", "server", message);
    return Results.Ok();
});
app.MapPost("/api/users/{user}", async (IHubContext<ChatHub> hub, string user, HttpRequest req) =>
{
    await hub.Clients.User(user).SendAsync("user", "server", req.Query["message"].ToString());
    return Results.Ok();
});
app.MapPost("/api/groups/{group}", async (IHubContext<ChatHub> hub, string group, HttpRequest req) =>
{
    await hub.Clients.Group(group).SendAsync("group", group, "server", req.Query["message"].ToString());
    return Results.Ok();
});

// A client result (.NET 7+): the app asks one client and waits for its answer.
app.MapPost("/api/ask/{connectionId}", async (IHubContext<ChatHub> hub, string connectionId, HttpRequest req) =>
{
    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
    var answer = await hub.Clients.Client(connectionId).InvokeAsync<string>("ask", req.Query["question"].ToString(), timeout.Token);
    return Results.Text(answer);
});

app.Run();
return 0;
