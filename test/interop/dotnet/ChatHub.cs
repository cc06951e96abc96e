using Microsoft.AspNetCore.SignalR;

namespace LapisInterop;

/// <summary>The hub the interop tests call: every method maps to one kind of service-protocol message.</summary>
public class ChatHub : Hub
{
    /// <summary>Returns its argument: a hub invocation with a completion result.</summary>
    public string Echo(string message) => message;

    /// <summary>Clients.All → Broadcast.</summary>
    public Task Broadcast(string message) => Clients.All.SendAsync("broadcast", Context.ConnectionId, message);

    /// <summary>Clients.Caller → data for this connection only.</summary>
    public Task SendToCaller(string message) => Clients.Caller.SendAsync("caller", message);

    /// <summary>Clients.Client(id) → data for another connection.</summary>
    public Task SendToConnection(string connectionId, string message) => Clients.Client(connectionId).SendAsync("connection", Context.ConnectionId, message);

    /// <summary>Groups.AddToGroupAsync → JoinGroupWithAck.</summary>
    public async Task<string> JoinGroup(string group)
    {
        await Groups.AddToGroupAsync(Context.ConnectionId, group);
        return group;
    }

    /// <summary>Groups.RemoveFromGroupAsync → LeaveGroupWithAck.</summary>
    public async Task<string> LeaveGroup(string group)
    {
        await Groups.RemoveFromGroupAsync(Context.ConnectionId, group);
        return group;
    }

    /// <summary>Clients.Group → GroupBroadcast.</summary>
    public Task SendToGroup(string group, string message) => Clients.Group(group).SendAsync("group", group, Context.ConnectionId, message);

    /// <summary>Clients.User → UserData.</summary>
    public Task SendToUser(string user, string message) => Clients.User(user).SendAsync("user", Context.ConnectionId, message);

    /// <summary>Clients.AllExcept(caller) → Broadcast with an excluded id.</summary>
    public Task SendToOthers(string message) => Clients.Others.SendAsync("others", Context.ConnectionId, message);

    /// <summary>Clients.OthersInGroup → GroupBroadcast with an excluded id.</summary>
    public Task SendToOthersInGroup(string group, string message) => Clients.OthersInGroup(group).SendAsync("group", group, Context.ConnectionId, message);

    /// <summary>Clients.Groups([...]) → MultiGroupBroadcast.</summary>
    public Task SendToGroups(string[] groups, string message) => Clients.Groups(groups).SendAsync("groups", Context.ConnectionId, message);

    /// <summary>Clients.Users([...]) → MultiUserData.</summary>
    public Task SendToUsers(string[] users, string message) => Clients.Users(users).SendAsync("users", Context.ConnectionId, message);

    /// <summary>Context.Abort → the app closes the client.</summary>
    public void Abort() => Context.Abort();

    /// <summary>
    /// What the app sees of the caller: identifier, name, roles and every claim. A dictionary with
    /// camelCase keys, so JSON and MessagePack clients read the same names (MessagePack would keep a
    /// record's PascalCase property names; JSON camel-cases them).
    /// </summary>
    public Dictionary<string, object?> WhoAmI() => new()
    {
        ["connectionId"] = Context.ConnectionId,
        ["userIdentifier"] = Context.UserIdentifier,
        ["name"] = Context.User?.Identity?.Name,
        ["isAuthenticated"] = Context.User?.Identity?.IsAuthenticated ?? false,
        ["authenticationType"] = Context.User?.Identity?.AuthenticationType,
        ["claims"] = (Context.User?.Claims ?? Enumerable.Empty<System.Security.Claims.Claim>())
            .Select(c => new Dictionary<string, string> { ["type"] = c.Type, ["value"] = c.Value }).ToArray(),
    };

    /// <summary>Context.User.IsInRole, as [Authorize(Roles=…)] would check it.</summary>
    public bool IsInRole(string role) => Context.User?.IsInRole(role) ?? false;
}
