using System.Text.Json;
using Azure.Core;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;

namespace LapisInterop;

/// <summary>
/// One-shot commands for the identity interop tests, run instead of the web app:
///   token &lt;kind&gt; &lt;scope&gt;   kinds: client-secret, client-certificate, environment, default, managed-identity
///   secret &lt;vault uri&gt; &lt;name&gt;   SecretClient with the client-secret credential
/// Each credential gets only the options a user sets for a non-Microsoft authority (AuthorityHost from
/// LAPIS_AUTHORITY_HOST, DisableInstanceDiscovery where it exists); the environment-driven ones also
/// read AZURE_* variables as documented. Prints one JSON line; exit code 1 with {"error":…} on failure.
/// </summary>
public static class Commands
{
    static string Need(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : throw new InvalidOperationException($"environment variable {name} is required");

    static TokenCredential Credential(string kind)
    {
        var authority = new Uri(Need("LAPIS_AUTHORITY_HOST"));
        return kind switch
        {
            "client-secret" => new ClientSecretCredential(Need("LAPIS_TENANT_ID"), Need("LAPIS_CLIENT_ID"), Need("LAPIS_CLIENT_SECRET"),
                new ClientSecretCredentialOptions { AuthorityHost = authority, DisableInstanceDiscovery = true }),
            "client-certificate" => new ClientCertificateCredential(Need("LAPIS_TENANT_ID"), Need("LAPIS_CLIENT_ID"), Need("LAPIS_CLIENT_CERT_PATH"),
                new ClientCertificateCredentialOptions { AuthorityHost = authority, DisableInstanceDiscovery = true }),
            "environment" => new EnvironmentCredential(new EnvironmentCredentialOptions { AuthorityHost = authority, DisableInstanceDiscovery = true }),
            "default" => new DefaultAzureCredential(new DefaultAzureCredentialOptions { AuthorityHost = authority, DisableInstanceDiscovery = true }),
            "managed-identity" => new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned),
            _ => throw new InvalidOperationException($"unknown credential kind '{kind}'"),
        };
    }

    public static async Task<int> Run(string[] args)
    {
        try
        {
            if (args[0] == "token")
            {
                var token = await Credential(args[1]).GetTokenAsync(new TokenRequestContext(new[] { args[2] }), CancellationToken.None);
                Console.WriteLine(JsonSerializer.Serialize(new { token = token.Token, expiresOn = token.ExpiresOn }));
            }
            else
            {
                var client = new SecretClient(new Uri(args[1]), Credential("client-secret"), new SecretClientOptions { DisableChallengeResourceVerification = true });
                var secret = await client.GetSecretAsync(args[2]);
                Console.WriteLine(JsonSerializer.Serialize(new { value = secret.Value.Value, id = secret.Value.Id.ToString() }));
            }
            return 0;
        }
        catch (Exception e)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { error = e.Message, detail = e.ToString() }));
            return 1;
        }
    }
}
