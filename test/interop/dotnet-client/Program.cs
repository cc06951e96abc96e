// A line-driven .NET SignalR client for the interop tests.
//   args: <hub url> <transport: WebSockets|ServerSentEvents|LongPolling> <protocol: json|messagepack>
//   stdin:  one JSON command per line: {"id":1,"invoke":"Echo","args":["hi"]} or {"id":2,"stop":true}
//   stdout: one JSON event per line: {"event":"connected","connectionId":…}, {"event":"result","id":1,"result":…},
//           {"event":"error","id":1,"message":…}, {"event":"message","target":"broadcast","args":[…]},
//           {"event":"closed","error":…}
// Hub methods the server may call: broadcast, group, user, caller, connection, others, groups, users
// (recorded as "message" events) and ask (a client result: answers "answer:" + the question).
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

if (args.Length < 3) { Console.Error.WriteLine("usage: <hub url> <transport> <protocol>"); return 2; }
var transport = Enum.Parse<HttpTransportType>(args[1]);
var builder = new HubConnectionBuilder().WithUrl(args[0], transport);
if (args[2] == "messagepack") builder.AddMessagePackProtocol();
var connection = builder.Build();

var output = Console.Out;
var gate = new object();
void Emit(JsonObject o) { lock (gate) { output.WriteLine(o.ToJsonString()); output.Flush(); } }
// Hub arguments and results arrive as JsonElement (JSON protocol) or as primitives, object[] and
// Dictionary<object, object> (MessagePack); both become plain JSON for the Node side.
JsonNode? Node(object? value) => value switch
{
    null => null,
    JsonElement e => JsonNode.Parse(e.GetRawText()),
    string s => JsonValue.Create(s),
    System.Collections.IDictionary d => new JsonObject(d.Keys.Cast<object>().Select(k => KeyValuePair.Create(k.ToString()!, Node(d[k])))),
    System.Collections.IEnumerable list => new JsonArray(list.Cast<object?>().Select(Node).ToArray()),
    _ => JsonSerializer.SerializeToNode(value),
};

// Register each server-to-client method with the argument count the hub sends.
void Record(string target, int arity)
{
    connection.On(target, Enumerable.Repeat(typeof(object), arity).ToArray(), values =>
    {
        Emit(new JsonObject { ["event"] = "message", ["target"] = target, ["args"] = new JsonArray(values.Select(Node).ToArray()) });
        return Task.CompletedTask;
    });
}
Record("broadcast", 2); Record("caller", 1); Record("connection", 2); Record("group", 3); Record("user", 2);
Record("others", 2); Record("groups", 2); Record("users", 2);
connection.On<string, string>("ask", question => "answer:" + question);
connection.Closed += error => { Emit(new JsonObject { ["event"] = "closed", ["error"] = error?.Message }); return Task.CompletedTask; };

try
{
    await connection.StartAsync();
}
catch (Exception e)
{
    Emit(new JsonObject { ["event"] = "start-failed", ["message"] = e.Message });
    return 1;
}
Emit(new JsonObject { ["event"] = "connected", ["connectionId"] = connection.ConnectionId });

string? line;
while ((line = await Console.In.ReadLineAsync()) != null)
{
    if (string.IsNullOrWhiteSpace(line)) continue;
    var command = JsonNode.Parse(line)!.AsObject();
    var id = command["id"]?.GetValue<int>() ?? 0;
    if (command["stop"] != null) break;
    var method = command["invoke"]!.GetValue<string>();
    // Arguments are strings or arrays of strings: all the test hub takes.
    var callArgs = (command["args"]?.AsArray() ?? new JsonArray())
        .Select(a => a is JsonArray arr ? (object?)arr.Select(x => x!.GetValue<string>()).ToArray() : a?.GetValue<string>())
        .ToArray();
    _ = Task.Run(async () =>
    {
        try
        {
            var result = await connection.InvokeCoreAsync<object?>(method, callArgs!);
            Emit(new JsonObject { ["event"] = "result", ["id"] = id, ["result"] = Node(result) });
        }
        catch (Exception e)
        {
            Emit(new JsonObject { ["event"] = "error", ["id"] = id, ["message"] = e.Message });
        }
    });
}
await connection.StopAsync();
return 0;
