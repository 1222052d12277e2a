// Advanced tab: XO's "Xen settings" table, with what matters for each mode.

import { useState } from 'preact/hooks'
import type { JSX } from 'preact'
import { patchVm } from '../api'
import { formatDate, modeLabel, type Vm } from '../vm'
import { ErrorBanner } from './ErrorBanner'

function Value({ value }: { value: string | null | undefined }): JSX.Element {
  if (value == null || value === '') return <span class="muted">(none)</span>
  return <code>{value}</code>
}

export function AdvancedTab({ vm, onChange }: { vm: Vm; onChange: (vm: Vm) => void }): JSX.Element {
  const mode = vm.virtualizationMode
  const boot = vm.boot ?? {}
  const rows: [string, JSX.Element][] = [
    ['Virtualization mode', <span data-testid="advanced-virtualization-mode">{modeLabel(vm)}</span>],
  ]
  if (mode === 'pv' || mode === 'pv_in_pvh' || mode === 'pvh') {
    rows.push(['Kernel', <Value value={boot.kernel} />])
    rows.push(['Ramdisk', <Value value={boot.ramdisk} />])
    rows.push(['PV args', <Value value={vm.PV_args} />])
  }
  if (mode === 'hvm') {
    rows.push(['Firmware', <Value value={boot.firmware} />])
    rows.push(['Boot order', <Value value={boot.order} />])
    if (boot.kernel) rows.push(['Kernel (direct boot)', <Value value={boot.kernel} />])
    if (boot.kernel && boot.ramdisk) rows.push(['Ramdisk', <Value value={boot.ramdisk} />])
    if (boot.kernel && vm.PV_args) rows.push(['Kernel command line', <Value value={vm.PV_args} />])
    rows.push(['PV drivers', <span>{vm.pvDriversDetected ? 'Detected' : 'Not detected'}</span>])
    if (vm.pvDriversVersion) rows.push(['PV drivers version', <code>{vm.pvDriversVersion}</code>])
  }
  if (mode === 'pv_in_pvh') rows.push(['Container', <span>Xen PV shim inside a PVH container</span>])
  rows.push(['On power off', <code>{vm.on_poweroff}</code>])
  rows.push(['On reboot', <code>{vm.on_reboot}</code>])
  rows.push(['On crash', <code>{vm.on_crash}</code>])
  rows.push(['Auto power on', <AutoPowerOn vm={vm} onChange={onChange} />])

  return (
    <div class="advanced">
      <div class="panel">
        <h2 id="xen-settings">Xen settings</h2>
        <table class="props-table" aria-labelledby="xen-settings">
          <tbody>
            {rows.map(([name, value]) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td>{value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="panel">
        <h2 id="vm-misc">Misc</h2>
        <table class="props-table" aria-labelledby="vm-misc">
          <tbody>
            <tr>
              <th scope="row">UUID</th>
              <td>
                <code>{vm.uuid}</code>
              </td>
            </tr>
            <tr>
              <th scope="row">Domain ID</th>
              <td>{vm.domid ?? <span class="muted">–</span>}</td>
            </tr>
            <tr>
              <th scope="row">vCPUs (max)</th>
              <td>{vm.CPUs?.max}</td>
            </tr>
            <tr>
              <th scope="row">Last exit</th>
              <td>
                {vm.last_exit ? (
                  `${vm.last_exit.reason ?? 'unknown'}, exit code ${vm.last_exit.code}, ${formatDate(vm.last_exit.time)}`
                ) : (
                  <span class="muted">(none)</span>
                )}
              </td>
            </tr>
          </tbody>
        </table>
      </div>
    </div>
  )
}

function AutoPowerOn({ vm, onChange }: { vm: Vm; onChange: (vm: Vm) => void }): JSX.Element {
  // The value being saved, shown until the daemon answers.
  const [pending, setPending] = useState<boolean | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const busy = pending !== undefined
  const checked = pending ?? !!vm.auto_poweron
  const toggle = async (event: JSX.TargetedEvent<HTMLInputElement>) => {
    const wanted = event.currentTarget.checked
    setPending(wanted)
    try {
      onChange(await patchVm(vm.uuid, { auto_poweron: wanted }))
      setError(undefined)
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setPending(undefined)
    }
  }
  return (
    <>
      <label class="switch" title="Start this VM when xkvmd starts">
        <input type="checkbox" aria-label="Auto power on" checked={checked} disabled={busy} onChange={toggle} />
        <span>{checked ? 'Yes' : 'No'}</span>
      </label>
      {error && <ErrorBanner error={error} what="Cannot change auto power on" />}
    </>
  )
}
