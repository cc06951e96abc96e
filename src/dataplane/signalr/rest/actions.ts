/** The SignalR data-plane RBAC DataActions (reference §1.6). */
const SR = 'Microsoft.SignalRService/SignalR';

export const SignalRDataActions = {
  hubSend: `${SR}/hub/send/action`,
  userSend: `${SR}/user/send/action`,
  groupSend: `${SR}/group/send/action`,
  connectionSend: `${SR}/clientConnection/send/action`,
  connectionRead: `${SR}/clientConnection/read`,
  connectionWrite: `${SR}/clientConnection/write`,
  groupRead: `${SR}/group/read`,
  groupWrite: `${SR}/group/write`,
  userRead: `${SR}/user/read`,
  userWrite: `${SR}/user/write`,
  clientToken: `${SR}/auth/clientToken/action`,
  accessKey: `${SR}/auth/accessKey/action`,
  accessToken: `${SR}/auth/accessToken/action`,
  serverConnection: `${SR}/serverConnection/write`,
} as const;
