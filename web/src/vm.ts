// The VM object as docs/toolstack.md specifies it (field names as Xen
// Orchestra's), and the words the UI shows for it.

export type PowerState = 'Running' | 'Halted' | 'Paused' | 'Suspended'
export type VirtualizationMode = 'pv' | 'pvh' | 'hvm' | 'pv_in_pvh'

export interface Vif {
  device: string
  MAC: string
  bridge: string
}

export interface Vbd {
  device: string | null
  target: string | null
  size: number | null
  read_only: boolean
}

export interface Boot {
  kernel?: string | null
  ramdisk?: string | null
  firmware?: string | null
  order?: string | null
}

export interface Vm {
  id: string
  uuid: string
  type: 'VM'
  name_label: string
  name_description: string
  tags: string[]
  power_state: PowerState
  virtualizationMode: VirtualizationMode
  pvDriversDetected: boolean
  // What the guest's PV drivers wrote to the Xen platform device ("linux 1"); null if nothing.
  pvDriversVersion: string | null
  CPUs: { number: number; max: number }
  memory: { size: number }
  VIFs: Vif[]
  $VBDs: Vbd[]
  startTime: number | null
  auto_poweron: boolean
  PV_args: string | null
  boot: Boot | null
  on_poweroff: string
  on_reboot: string
  on_crash: string
  domid: number | null
  last_exit: { code: number; reason: string | null; time: number } | null
}

// Short label: list rows and the CLI's Mode column. `pvhvm` is never a
// stored mode, only this label.
export function modeShortLabel(vm: Pick<Vm, 'virtualizationMode' | 'pvDriversDetected'>): string {
  if (vm.virtualizationMode === 'hvm' && vm.pvDriversDetected) return 'pvhvm'
  return vm.virtualizationMode
}

// Long label, as XO words it; pvh shows raw (as XO does).
export function modeLabel(vm: Pick<Vm, 'virtualizationMode' | 'pvDriversDetected'>): string {
  switch (vm.virtualizationMode) {
    case 'pv':
      return 'Paravirtualization (PV)'
    case 'hvm':
      return vm.pvDriversDetected
        ? 'Hardware virtualization with paravirtualization drivers enabled (PVHVM)'
        : 'Hardware virtualization (HVM)'
    case 'pv_in_pvh':
      return 'PV inside a PVH container (PV in PVH)'
    case 'pvh':
      return 'pvh'
    default:
      return String(vm.virtualizationMode ?? 'unknown')
  }
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']

// 536870912 -> "512 MiB", 1610612736 -> "1.5 GiB".
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null || !Number.isFinite(bytes)) return '–'
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  const rounded = Math.round(value * 10) / 10
  return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)} ${UNITS[unit]}`
}

export function disksSize(vm: Vm): number {
  return (vm.$VBDs ?? []).reduce((sum, vbd) => sum + (vbd.size ?? 0), 0)
}

// "3 minutes ago", "2 days ago".
export function formatRelative(epochSeconds: number, nowMs = Date.now()): string {
  // A moment in the future (the browser's clock a little behind the host's)
  // reads as now.
  const seconds = Math.max(0, Math.round(nowMs / 1000 - epochSeconds))
  const abs = seconds
  const steps: [number, string][] = [
    [60, 'second'],
    [60, 'minute'],
    [24, 'hour'],
    [30, 'day'],
    [12, 'month'],
    [Infinity, 'year'],
  ]
  let value = abs
  let name = 'second'
  let divisor = 1
  for (const [size, unit] of steps) {
    name = unit
    if (abs / divisor < size) break
    divisor *= size
  }
  value = Math.floor(abs / divisor)
  const text = `${value} ${name}${value === 1 ? '' : 's'}`
  return `${text} ago`
}

export function formatDate(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toLocaleString(undefined, {
    dateStyle: 'medium',
    timeStyle: 'medium',
  })
}

export const POWER_STATES: PowerState[] = ['Running', 'Halted', 'Paused', 'Suspended']

// Actions as XO (and the API) name them, and when each is allowed.
export type ActionName =
  | 'start'
  | 'clean_shutdown'
  | 'clean_reboot'
  | 'hard_shutdown'
  | 'hard_reboot'
  | 'pause'
  | 'unpause'

export interface ActionSpec {
  name: ActionName
  label: string
  allowedIn: PowerState[]
  // Text of the confirmation dialog; undefined: no confirmation.
  confirm?: string
  danger?: boolean
}

export const ACTIONS: ActionSpec[] = [
  { name: 'start', label: 'Start', allowedIn: ['Halted'] },
  {
    name: 'clean_shutdown',
    label: 'Shut down',
    allowedIn: ['Running'],
    confirm: 'The guest is asked to power off cleanly.',
  },
  {
    name: 'clean_reboot',
    label: 'Reboot',
    allowedIn: ['Running'],
    confirm: 'The guest is asked to reboot cleanly.',
  },
  { name: 'pause', label: 'Pause', allowedIn: ['Running'] },
  { name: 'unpause', label: 'Resume', allowedIn: ['Paused'] },
  {
    name: 'hard_reboot',
    label: 'Force reboot',
    allowedIn: ['Running', 'Paused'],
    confirm: 'The VM is stopped at once and started again, like pressing reset: unsaved data in the guest is lost.',
    danger: true,
  },
  {
    name: 'hard_shutdown',
    label: 'Force shutdown',
    allowedIn: ['Running', 'Paused', 'Suspended'],
    confirm: 'The VM is stopped at once, like pulling the plug: unsaved data in the guest is lost.',
    danger: true,
  },
]
