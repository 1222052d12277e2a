// General tab: the VM at a glance (XO's General), with the editable
// description and tags (PATCH /rest/v0/vms/<uuid>).

import { useState } from 'preact/hooks'
import type { JSX } from 'preact'
import { patchVm } from '../api'
import { useFocusOnMount, useNow } from '../hooks'
import { disksSize, formatBytes, formatDate, formatRelative, modeLabel, type Vm } from '../vm'
import { ErrorBanner } from './ErrorBanner'
import { TagIcon } from './icons'

export function GeneralTab({ vm, onChange }: { vm: Vm; onChange: (vm: Vm) => void }): JSX.Element {
  useNow(15000) // re-render for "started N minutes ago"
  const now = Date.now()
  const disks = vm.$VBDs ?? []
  const vifs = vm.VIFs ?? []
  return (
    <div class="general">
      <div class="stat-cards">
        <div class="stat-card">
          <span class="stat-value" data-testid="vcpus">
            {vm.CPUs?.number}
          </span>
          <span class="stat-label">vCPUs{vm.CPUs && vm.CPUs.max !== vm.CPUs.number ? ` (max ${vm.CPUs.max})` : ''}</span>
        </div>
        <div class="stat-card">
          <span class="stat-value" data-testid="memory" data-bytes={vm.memory?.size} title={`${vm.memory?.size} bytes`}>
            {formatBytes(vm.memory?.size)}
          </span>
          <span class="stat-label">Memory</span>
        </div>
        <div class="stat-card">
          <span class="stat-value">{formatBytes(disksSize(vm))}</span>
          <span class="stat-label">
            {disks.length} disk{disks.length === 1 ? '' : 's'}
          </span>
        </div>
        <div class="stat-card">
          <span class="stat-value">{vifs.length}</span>
          <span class="stat-label">Network interface{vifs.length === 1 ? '' : 's'}</span>
        </div>
      </div>

      <div class="panel">
        <h2>Overview</h2>
        <dl class="props">
          <dt>Power state</dt>
          <dd>{vm.power_state}</dd>
          <dt>Virtualization mode</dt>
          <dd data-testid="virtualization-mode">{modeLabel(vm)}</dd>
          <dt>Started</dt>
          <dd data-testid="start-time">
            {vm.startTime != null ? (
              <>
                <time dateTime={new Date(vm.startTime * 1000).toISOString()}>{formatDate(vm.startTime)}</time>{' '}
                <span class="muted">(started {formatRelative(vm.startTime, now)})</span>
              </>
            ) : (
              <span class="muted">Not running</span>
            )}
          </dd>
          {vm.startTime == null && vm.last_exit && (
            <>
              <dt>Last stopped</dt>
              <dd>
                {formatDate(vm.last_exit.time)} <span class="muted">({formatRelative(vm.last_exit.time, now)})</span>:{' '}
                {vm.last_exit.reason ?? 'unknown'} (exit code {vm.last_exit.code})
              </dd>
            </>
          )}
          <dt>Domain ID</dt>
          <dd>{vm.domid ?? <span class="muted">–</span>}</dd>
          <dt>UUID</dt>
          <dd>
            <code>{vm.uuid}</code>
          </dd>
          <dt>Description</dt>
          <dd>
            <DescriptionEditor vm={vm} onChange={onChange} />
          </dd>
          <dt>Tags</dt>
          <dd>
            <TagsEditor vm={vm} onChange={onChange} />
          </dd>
        </dl>
      </div>

      <div class="panel">
        <h2>Disks</h2>
        {disks.length === 0 ? (
          <p class="muted">No disks.</p>
        ) : (
          <table class="data-table" aria-label="Disks">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col" class="num">
                  Size
                </th>
                <th scope="col">Target</th>
                <th scope="col">Access</th>
              </tr>
            </thead>
            <tbody>
              {disks.map((vbd, i) => (
                <tr key={vbd.device ?? i}>
                  <td>
                    <code>{vbd.device}</code>
                  </td>
                  <td class="num">{formatBytes(vbd.size)}</td>
                  <td class="path">
                    <code>{vbd.target}</code>
                  </td>
                  <td>{vbd.read_only ? 'read-only' : 'read-write'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>

      <div class="panel">
        <h2>Network</h2>
        {vifs.length === 0 ? (
          <p class="muted">No network interfaces.</p>
        ) : (
          <table class="data-table" aria-label="Network interfaces">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">MAC address</th>
                <th scope="col">Bridge</th>
              </tr>
            </thead>
            <tbody>
              {vifs.map((vif, i) => (
                <tr key={vif.device ?? i}>
                  <td>
                    <code>{vif.device}</code>
                  </td>
                  <td>
                    <code>{vif.MAC}</code>
                  </td>
                  <td>{vif.bridge || <span class="muted">(none)</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </div>
  )
}

function DescriptionEditor({ vm, onChange }: { vm: Vm; onChange: (vm: Vm) => void }): JSX.Element {
  const [editing, setEditing] = useState(false)
  const [text, setText] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  const focus = useFocusOnMount<HTMLInputElement>()

  const start = () => {
    setText(vm.name_description ?? '')
    setError(undefined)
    setEditing(true)
  }
  const save = async (event: JSX.TargetedEvent<HTMLFormElement>) => {
    event.preventDefault()
    setBusy(true)
    try {
      onChange(await patchVm(vm.uuid, { name_description: text }))
      setEditing(false)
      setError(undefined)
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setBusy(false)
    }
  }

  if (!editing) {
    return (
      <span class="inline-edit">
        <span data-testid="description">{vm.name_description || <span class="muted">No description</span>}</span>
        <button type="button" class="btn btn-ghost btn-small" onClick={start} aria-label="Edit description">
          Edit
        </button>
      </span>
    )
  }
  return (
    <form class="inline-form" onSubmit={save} onKeyDown={(e) => e.key === 'Escape' && setEditing(false)}>
      <label class="sr-only" for="description-input">
        Description
      </label>
      <input id="description-input" type="text" value={text} onInput={(e) => setText(e.currentTarget.value)} ref={focus} disabled={busy} />
      <button type="submit" class="btn btn-primary btn-small" disabled={busy}>
        Save
      </button>
      <button type="button" class="btn btn-small" onClick={() => setEditing(false)} disabled={busy}>
        Cancel
      </button>
      {error && <ErrorBanner error={error} what="Cannot save the description" />}
    </form>
  )
}

function TagsEditor({ vm, onChange }: { vm: Vm; onChange: (vm: Vm) => void }): JSX.Element {
  const [adding, setAdding] = useState(false)
  const [text, setText] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  const focus = useFocusOnMount<HTMLInputElement>()
  const tags = vm.tags ?? []

  const put = async (next: string[]) => {
    setBusy(true)
    try {
      onChange(await patchVm(vm.uuid, { tags: next }))
      setError(undefined)
      return true
    } catch (e) {
      setError((e as Error).message)
      return false
    } finally {
      setBusy(false)
    }
  }
  const add = async (event: JSX.TargetedEvent<HTMLFormElement>) => {
    event.preventDefault()
    const tag = text.trim()
    if (!tag) return
    if (tags.includes(tag) || (await put([...tags, tag]))) {
      setText('')
      setAdding(false)
    }
  }

  return (
    <div class="tags-editor">
      <ul class="tags" aria-label="Tags">
        {tags.map((tag) => (
          <li key={tag} class="tag">
            <TagIcon size={11} />
            {tag}
            <button
              type="button"
              class="tag-remove"
              aria-label={`Remove tag ${tag}`}
              disabled={busy}
              onClick={() => void put(tags.filter((t) => t !== tag))}
            >
              ×
            </button>
          </li>
        ))}
        {tags.length === 0 && !adding && <li class="muted">No tags</li>}
      </ul>
      {adding ? (
        <form class="inline-form" onSubmit={add} onKeyDown={(e) => e.key === 'Escape' && setAdding(false)}>
          <label class="sr-only" for="tag-input">
            New tag
          </label>
          <input id="tag-input" type="text" value={text} onInput={(e) => setText(e.currentTarget.value)} ref={focus} disabled={busy} />
          <button type="submit" class="btn btn-primary btn-small" disabled={busy || text.trim() === ''}>
            Add
          </button>
          <button type="button" class="btn btn-small" onClick={() => setAdding(false)} disabled={busy}>
            Cancel
          </button>
        </form>
      ) : (
        <button type="button" class="btn btn-ghost btn-small" onClick={() => setAdding(true)}>
          + Add tag
        </button>
      )}
      {error && <ErrorBanner error={error} what="Cannot save the tags" />}
    </div>
  )
}
