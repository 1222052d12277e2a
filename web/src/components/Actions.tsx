// Power actions: POST /rest/v0/vms/<uuid>/actions/<action>, each enabled by
// the power state, destructive ones behind a confirmation.

import { useEffect, useRef, useState } from 'preact/hooks'
import type { JSX } from 'preact'
import { runAction } from '../api'
import { ACTIONS, type ActionSpec, type Vm } from '../vm'
import { ErrorBanner } from './ErrorBanner'
import { BoltIcon, PauseIcon, PlayIcon, PowerIcon, RebootIcon } from './icons'

const ICONS: Record<string, (p: { size?: number }) => JSX.Element> = {
  start: PlayIcon,
  clean_shutdown: PowerIcon,
  clean_reboot: RebootIcon,
  pause: PauseIcon,
  unpause: PlayIcon,
  hard_reboot: RebootIcon,
  hard_shutdown: BoltIcon,
}

export function Actions({ vm, onDone }: { vm: Vm; onDone: () => void }): JSX.Element {
  const [pending, setPending] = useState<ActionSpec | undefined>(undefined)
  const [asking, setAsking] = useState<ActionSpec | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const [notice, setNotice] = useState<string | undefined>(undefined)

  // A new VM: forget the previous one's messages.
  useEffect(() => {
    setError(undefined)
    setNotice(undefined)
  }, [vm.uuid])
  // The state moved on: the "requested" note has served.
  useEffect(() => setNotice(undefined), [vm.power_state])
  useEffect(() => {
    if (!notice) return
    const timer = setTimeout(() => setNotice(undefined), 20000)
    return () => clearTimeout(timer)
  }, [notice])

  const run = async (action: ActionSpec) => {
    setAsking(undefined)
    setPending(action)
    setError(undefined)
    setNotice(undefined)
    try {
      const answer = await runAction(vm.uuid, action.name)
      if (answer?.power_state === vm.power_state) setNotice(`${action.label}: sent to the guest.`)
    } catch (e) {
      setError(`${action.label} failed: ${(e as Error).message}`)
    } finally {
      setPending(undefined)
      onDone()
    }
  }

  const click = (action: ActionSpec) => {
    if (action.confirm) setAsking(action)
    else void run(action)
  }

  return (
    <div class="actions">
      <div class="toolbar" role="toolbar" aria-label="VM actions">
        {ACTIONS.map((action) => {
          const Icon = ICONS[action.name]
          const allowed = action.allowedIn.includes(vm.power_state)
          return (
            <button
              key={action.name}
              type="button"
              class={`btn${action.danger ? ' btn-danger' : ''}`}
              disabled={!allowed || pending !== undefined}
              aria-busy={pending === action ? 'true' : undefined}
              title={allowed ? action.label : `${action.label}: not while ${vm.power_state}`}
              onClick={() => click(action)}
            >
              <Icon size={14} />
              {action.label}
            </button>
          )
        })}
      </div>
      <div class="action-status">
        {pending && (
          <p role="status" class="muted">
            {pending.label}…
          </p>
        )}
        {!pending && notice && (
          <p role="status" class="muted">
            {notice}
          </p>
        )}
        {error && <ErrorBanner error={error} />}
      </div>
      {asking && (
        <ConfirmDialog
          title={`${asking.label} ${vm.name_label}?`}
          body={asking.confirm ?? ''}
          confirmLabel={asking.label}
          danger={asking.danger}
          onConfirm={() => void run(asking)}
          onCancel={() => setAsking(undefined)}
        />
      )}
    </div>
  )
}

// A modal <dialog>: focus is trapped, Escape cancels, the page behind is
// inert.
export function ConfirmDialog(props: {
  title: string
  body: string
  confirmLabel: string
  danger?: boolean
  onConfirm: () => void
  onCancel: () => void
}): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    const dialog = ref.current
    if (dialog && !dialog.open) dialog.showModal()
    return () => dialog?.close()
  }, [])
  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby="confirm-title"
      aria-describedby="confirm-body"
      onCancel={(event) => {
        event.preventDefault()
        props.onCancel()
      }}
    >
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault()
          props.onConfirm()
        }}
      >
        <h2 id="confirm-title">{props.title}</h2>
        <p id="confirm-body">{props.body}</p>
        <div class="form-buttons">
          <button type="button" class="btn" onClick={props.onCancel} autofocus={props.danger}>
            Cancel
          </button>
          <button type="submit" class={`btn ${props.danger ? 'btn-danger-solid' : 'btn-primary'}`} autofocus={!props.danger}>
            {props.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  )
}
