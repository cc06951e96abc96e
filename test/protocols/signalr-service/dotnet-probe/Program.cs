// Three modes, one line per item:
//   write  prints "name<TAB>base64 body" for messages written by ServiceProtocol (length prefix removed)
//   read   reads base64 framed streams from stdin and prints, per line, a JSON array describing what
//          ServiceProtocol.TryParseMessage made of them (null for a skipped type, "ERROR ..." on failure)
//   groupmembers  reads base64 Ack payloads from stdin and prints the GroupMemberQueryResponse the SDK parses
using System.Buffers;
using System.Collections;
using System.Reflection;
using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.Azure.SignalR.Protocol;
using Microsoft.Extensions.Primitives;

var protocol = new ServiceProtocol();
if (args.Length > 0 && args[0] == "write")
{
    var payloads = new Dictionary<string, ReadOnlyMemory<byte>> { ["json"] = new byte[] { 1, 2 }, ["messagepack"] = new byte[] { 3 } };
    var roles = new[] { new Claim("role", "a"), new Claim("role", "b") };
    var messages = new (string, ServiceMessage)[]
    {
        ("HandshakeRequest", new HandshakeRequestMessage(1)),
        ("HandshakeResponse", new HandshakeResponseMessage()),
        ("Ping", new PingMessage { Messages = new[] { "status", "1" } }),
        ("OpenConnection", new OpenConnectionMessage("c1", roles, new Dictionary<string, StringValues> { ["host"] = "h" }, "?x=1") { Protocol = "json", TracingId = 9007199254740993UL }),
        ("CloseConnection", new CloseConnectionMessage("c1", "bye")),
        ("ConnectionData", new ConnectionDataMessage("c1", new byte[] { 1 }) { Type = DataMessageType.Invocation, IsPartial = true }),
        ("MultiConnectionData", new MultiConnectionDataMessage(new[] { "c1", "c2" }, payloads)),
        ("UserData", new UserDataMessage("u", payloads)),
        ("MultiUserData", new MultiUserDataMessage(new[] { "u", "v" }, payloads)),
        ("Broadcast", new BroadcastDataMessage(new[] { "c9" }, payloads, 1234UL)),
        ("JoinGroup", new JoinGroupMessage("c1", "g")),
        ("LeaveGroup", new LeaveGroupMessage("c1", "g")),
        ("GroupBroadcast", new GroupBroadcastDataMessage("g", payloads) { CallerUserId = "u", ExcludedUserList = new[] { "u2" } }),
        ("MultiGroupBroadcast", new MultiGroupBroadcastDataMessage(new[] { "g", "h" }, payloads)),
        ("ServiceError", new ServiceErrorMessage("oops")),
        ("UserJoinGroup", new UserJoinGroupMessage("u", "g") { Ttl = 60 }),
        ("UserLeaveGroup", new UserLeaveGroupMessage("u", "g")),
        ("JoinGroupWithAck", new JoinGroupWithAckMessage("c1", "g", 5)),
        ("LeaveGroupWithAck", new LeaveGroupWithAckMessage("c1", "g", 6)),
        ("Ack", new AckMessage(5, 1)),
        ("AckWithPayload", new AckMessage(6, 2, "m") { Payload = new ReadOnlySequence<byte>(new byte[] { 9, 8 }) }),
        ("CheckUserInGroupWithAck", new CheckUserInGroupWithAckMessage("u", "g", 7)),
        ("ServiceEvent", new ServiceEventMessage(ServiceEventObjectType.Connection, "c1", ServiceEventKind.BufferFull, "full")),
        ("CheckGroupExistenceWithAck", new CheckGroupExistenceWithAckMessage("g", 8)),
        ("CheckConnectionExistenceWithAck", new CheckConnectionExistenceWithAckMessage("c1", 9)),
        ("CheckUserExistenceWithAck", new CheckUserExistenceWithAckMessage("u", 10)),
        ("UserJoinGroupWithAck", new UserJoinGroupWithAckMessage("u", "g", 11, 60, null)),
        ("UserLeaveGroupWithAck", new UserLeaveGroupWithAckMessage("u", "g", 12)),
        ("AccessKeyRequest", new AccessKeyRequestMessage("token")),
        ("AccessKeyResponse", new AccessKeyResponseMessage("kid", "key")),
        ("CloseConnectionWithAck", new CloseConnectionWithAckMessage("c1", 13) { Reason = "r" }),
        ("CloseConnectionsWithAck", new CloseConnectionsWithAckMessage(14) { ExcludedList = new[] { "c2" } }),
        ("CloseUserConnectionsWithAck", new CloseUserConnectionsWithAckMessage("u", 15)),
        ("CloseGroupConnectionsWithAck", new CloseGroupConnectionsWithAckMessage("g", 16) { Reason = "r" }),
        ("ClientInvocation", new ClientInvocationMessage("i1", "c1", "s1", payloads)),
        ("ClientCompletion", new ClientCompletionMessage("i1", "c1", "s1", "json", new byte[] { 1 })),
        ("ErrorCompletion", new ErrorCompletionMessage("i1", "c1", "s1", "failed")),
        ("ServiceMapping", new ServiceMappingMessage("i1", "c1", "n1")),
        ("ConnectionReconnect", new ConnectionReconnectMessage("c1")),
        ("ConnectionFlowControl", new ConnectionFlowControlMessage("c1", ConnectionFlowControlOperation.Pause, ConnectionType.Server)),
        ("GroupMemberQuery", new GroupMemberQueryMessage { GroupName = "g", AckId = 17, MaxPageSize = 10, Top = 20, ContinuationToken = "ct" }),
        ("RefreshAuth", new RefreshAuthMessage("tok", roles, DateTimeOffset.FromUnixTimeMilliseconds(1700000000500), 18)),
        ("GetConnectionClaims", new GetConnectionClaimsMessage("tok", 19)),
        ("UpdateConnectionClaims", new UpdateConnectionClaimsMessage("c1", roles)),
    };
    foreach (var (name, message) in messages)
    {
        var bytes = protocol.GetMessageBytes(message).ToArray();
        var prefix = 0;
        while ((bytes[prefix] & 0x80) != 0) prefix++;
        Console.WriteLine($"{name}\t{Convert.ToBase64String(bytes[(prefix + 1)..])}");
    }
    return;
}

if (args.Length > 0 && args[0] == "groupmembers")
{
    // Ack payloads Lapis wrote, read as the SDK reads a GroupMemberQuery answer.
    string? payloadLine;
    while ((payloadLine = Console.ReadLine()) != null)
    {
        try
        {
            var r = protocol.ParseMessagePayload<GroupMemberQueryResponse>(new ReadOnlySequence<byte>(Convert.FromBase64String(payloadLine.Trim())));
            Console.WriteLine(new JsonObject
            {
                ["members"] = new JsonArray(r.Members.Select(m => (JsonNode?)new JsonArray(m.ConnectionId, m.UserId)).ToArray()),
                ["continuationToken"] = r.ContinuationToken,
            }.ToJsonString());
        }
        catch (Exception e)
        {
            Console.WriteLine($"\"ERROR {e.GetType().Name}: {e.Message}\"");
        }
    }
    return;
}

string? line;
while ((line = Console.ReadLine()) != null)
{
    var input = new ReadOnlySequence<byte>(Convert.FromBase64String(line.Trim()));
    var results = new JsonArray();
    try
    {
        while (protocol.TryParseMessage(ref input, out var message)) results.Add(message == null ? null : Describe(message));
        if (input.Length > 0) results.Add($"LEFTOVER {input.Length}");
    }
    catch (Exception e)
    {
        results.Add($"ERROR {e.GetType().Name}: {e.Message}");
    }
    Console.WriteLine(results.ToJsonString());
}

static JsonNode Describe(object message)
{
    var o = new JsonObject { ["$type"] = message.GetType().Name };
    foreach (var p in message.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
    {
        if (p.GetIndexParameters().Length > 0 || p.Name == "PartitionKey") continue;
        o[p.Name] = Value(p.GetValue(message));
    }
    return o;
}

static JsonNode? Value(object? v) => v switch
{
    null => null,
    string s => s,
    bool b => b,
    Enum e => Convert.ToInt64(e),
    ulong u => u.ToString(),
    int or long or uint or short or byte => JsonValue.Create(Convert.ToInt64(v)),
    ReadOnlyMemory<byte> m => "b64:" + Convert.ToBase64String(m.ToArray()),
    ReadOnlySequence<byte> s => "b64:" + Convert.ToBase64String(s.ToArray()),
    byte[] a => "b64:" + Convert.ToBase64String(a),
    DateTimeOffset d => d.ToUnixTimeMilliseconds(),
    Claim c => new JsonArray(c.Type, c.Value),
    StringValues sv => new JsonArray(sv.Select(x => (JsonNode?)x).ToArray()),
    IEnumerable<KeyValuePair<string, ReadOnlyMemory<byte>>> kv => new JsonArray(kv.Select(p => (JsonNode?)new JsonArray(p.Key, "b64:" + Convert.ToBase64String(p.Value.ToArray()))).ToArray()),
    IDictionary<string, StringValues> h => new JsonObject(h.Select(p => KeyValuePair.Create(p.Key, Value(p.Value)))),
    IEnumerable e => new JsonArray(e.Cast<object?>().Select(Value).ToArray()),
    _ => v.ToString(),
};
