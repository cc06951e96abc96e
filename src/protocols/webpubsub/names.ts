/** Name rules of the Web PubSub REST spec (also validated client-side by the JS SDK). */
const HUB = /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/;
const WHITESPACE_ONLY = /^\s+$/;

export const MAX_GROUP_NAME = 1024;

export function isValidHub(name: string): boolean {
  return HUB.test(name);
}

export function isValidGroup(name: string): boolean {
  return name.length >= 1 && name.length <= MAX_GROUP_NAME && !WHITESPACE_ONLY.test(name);
}

/** Event names of `event` messages: the service requires a non-empty name without whitespace-only content. */
export function isValidEventName(name: string): boolean {
  return name.length >= 1 && name.length <= 128 && !WHITESPACE_ONLY.test(name);
}
