// Same-origin client of xkvmd's REST API (docs/toolstack.md). The browser
// authenticates with the `authenticationToken` cookie, which xkvmd sets when
// a page is loaded with `?token=`.

import type { ActionName, PowerState, Vm } from './vm'

export const API = '/rest/v0'

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
    response = await fetch(API + path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
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

// ws:// or wss:// to the same host the page came from.
export function consoleUrl(id: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${location.host}${API}/vms/${encodeURIComponent(id)}/console`
}
