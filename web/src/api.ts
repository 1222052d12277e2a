// Same-origin client of xkvmd's REST API (docs/toolstack.md). Every request
// carries the token in an `Authorization: Bearer` header; the token lives in
// this tab's sessionStorage (set from `?token=` or the sign-in page), never in
// a cookie: browsers send cookies to every service on 127.0.0.1, whatever its
// port, so a cookie would not bind the credential to xkvmd.

import type { ActionName, PowerState, Vm } from './vm'

export const API = '/rest/v0'

const TOKEN_KEY = 'xkvm.token'

export function getToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY)
  } catch {
    return null
  }
}

export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token)
  else sessionStorage.removeItem(TOKEN_KEY)
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

// Listeners told when any request answers 401, so the whole app can show
// how to sign in instead of a broken page.
const unauthorizedListeners = new Set<() => void>()
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener)
  return () => unauthorizedListeners.delete(listener)
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response
  try {
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    const token = getToken()
    if (token) headers.Authorization = `Bearer ${token}`
    response = await fetch(API + path, {
      method,
      credentials: 'omit',
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  } catch (error) {
    throw new ApiError(0, `cannot reach xkvmd: ${(error as Error).message}`)
  }
  const text = await response.text()
  let data: unknown = undefined
  if (text !== '') {
    try {
      data = JSON.parse(text)
    } catch {
      data = undefined
    }
  }
  if (!response.ok) {
    if (response.status === 401) unauthorizedListeners.forEach((listener) => listener())
    const message =
      data && typeof data === 'object' && typeof (data as { error?: unknown }).error === 'string'
        ? (data as { error: string }).error
        : `${response.status} ${response.statusText}`.trim()
    throw new ApiError(response.status, message)
  }
  return data as T
}

export function listVms(): Promise<Vm[]> {
  return request<Vm[]>('GET', '/vms?fields=*')
}

export function getVm(id: string): Promise<Vm> {
  return request<Vm>('GET', `/vms/${encodeURIComponent(id)}`)
}

export type VmPatch = Partial<Pick<Vm, 'name_description' | 'tags' | 'auto_poweron'>>

export function patchVm(id: string, patch: VmPatch): Promise<Vm> {
  return request<Vm>('PATCH', `/vms/${encodeURIComponent(id)}`, patch)
}

export function runAction(id: string, action: ActionName): Promise<{ power_state: PowerState }> {
  return request('POST', `/vms/${encodeURIComponent(id)}/actions/${action}`)
}

export interface Stats {
  interval: number
  cpu: number[]
  memory: number[]
}

export function getStats(id: string): Promise<Stats> {
  return request<Stats>('GET', `/vms/${encodeURIComponent(id)}/stats`)
}

export interface HostInfo {
  hostname: string
  xkvm_version: string
  nr_cpus: number
  memory: { size: number; free: number }
  kvm: 'native' | 'nested'
  vms_running: number
}

export function getHost(): Promise<HostInfo> {
  return request<HostInfo>('GET', '/host')
}

// A browser cannot set headers on a WebSocket: the token goes as one of the
// subprotocols offered, beside `xkvm-console`, the one xkvmd picks.
export function consoleProtocols(): string[] {
  const token = getToken()
  return token ? ['xkvm-console', `xkvm-token.${token}`] : ['xkvm-console']
}

// ws:// or wss:// to the same host the page came from.
export function consoleUrl(id: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${location.host}${API}/vms/${encodeURIComponent(id)}/console`
}
