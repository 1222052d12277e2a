// One VM (XO's VM view): a header with its state and the power actions, and
// tabs addressed by the URL: /vms/<uuid>/(general|advanced|console|stats).

import { useEffect } from 'preact/hooks'
import type { JSX } from 'preact'
import { ApiError, getVm } from '../api'
import { usePoll } from '../hooks'
import { Link, navigate } from '../router'
import { modeShortLabel } from '../vm'
import { Actions } from './Actions'
import { AdvancedTab } from './AdvancedTab'
import { ConsoleTab } from './ConsoleTab'
import { ErrorBanner } from './ErrorBanner'
import { GeneralTab } from './GeneralTab'
import { PowerStateIcon } from './icons'
import { StatsTab } from './StatsTab'

const REFRESH_MS = 1000

export const TABS = [
  { id: 'general', label: 'General' },
  { id: 'advanced', label: 'Advanced' },
  { id: 'console', label: 'Console' },
  { id: 'stats', label: 'Stats' },
] as const
export type TabId = (typeof TABS)[number]['id']

export function VmView({ id, tab }: { id: string; tab: TabId }): JSX.Element {
  const vm = usePoll(() => getVm(id), REFRESH_MS, id)
  const data = vm.data

  useEffect(() => {
    if (data) document.title = `${data.name_label} – xkvm`
  }, [data?.name_label])

  if (!data) {
    if (vm.error instanceof ApiError && vm.error.status === 404) {
      return (
        <section class="page">
          <Breadcrumbs name={id} />
          <ErrorBanner error={vm.error} what="No such VM" />
        </section>
      )
    }
    return (
      <section class="page">
        <Breadcrumbs name={id} />
        {vm.error ? <ErrorBanner error={vm.error} what="Cannot load the VM" /> : <p class="muted">Loading…</p>}
      </section>
    )
  }

  const base = `/vms/${encodeURIComponent(id)}`
  return (
    <section class="page" aria-labelledby="vm-title">
      <Breadcrumbs name={data.name_label} />
      <header class="vm-header">
        <div class="vm-title-row">
          <PowerStateIcon state={data.power_state} size={26} />
          <div class="vm-title-text">
            <h1 id="vm-title">{data.name_label}</h1>
            <p class="page-sub">{data.name_description || <span class="muted">No description</span>}</p>
          </div>
          <dl class="vm-badges">
            <div>
              <dt>State</dt>
              <dd data-testid="power-state" aria-live="polite" class={`state-text state-${data.power_state.toLowerCase()}`}>
                {data.power_state}
              </dd>
            </div>
            <div>
              <dt>Mode</dt>
              <dd>
                <span class={`mode mode-${modeShortLabel(data)}`}>{modeShortLabel(data)}</span>
              </dd>
            </div>
          </dl>
        </div>
        <Actions vm={data} onDone={vm.refresh} />
      </header>
      {vm.error && <ErrorBanner error={vm.error} what="Refresh failed (showing the last known state)" />}

      <nav class="tabs" role="tablist" aria-label="VM tabs" onKeyDown={(event) => moveTab(event, base, tab)}>
        {TABS.map((t) => (
          <Link
            key={t.id}
            href={`${base}/${t.id}`}
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id ? 'true' : 'false'}
            tabIndex={tab === t.id ? 0 : -1}
            aria-controls="vm-tabpanel"
            class={`tab${tab === t.id ? ' active' : ''}`}
          >
            {t.label}
          </Link>
        ))}
      </nav>
      <div class="tabpanel" role="tabpanel" id="vm-tabpanel" aria-labelledby={`tab-${tab}`}>
        {tab === 'general' && <GeneralTab vm={data} onChange={vm.set} />}
        {tab === 'advanced' && <AdvancedTab vm={data} onChange={vm.set} />}
        {tab === 'console' && <ConsoleTab vm={data} />}
        {tab === 'stats' && <StatsTab vm={data} />}
      </div>
    </section>
  )
}

// Arrow keys, Home and End move between tabs (the ARIA tabs pattern).
function moveTab(event: KeyboardEvent, base: string, current: TabId): void {
  const index = TABS.findIndex((t) => t.id === current)
  const next =
    event.key === 'ArrowRight' ? (index + 1) % TABS.length
    : event.key === 'ArrowLeft' ? (index + TABS.length - 1) % TABS.length
    : event.key === 'Home' ? 0
    : event.key === 'End' ? TABS.length - 1
    : -1
  if (next < 0) return
  event.preventDefault()
  navigate(`${base}/${TABS[next].id}`)
  requestAnimationFrame(() => document.getElementById(`tab-${TABS[next].id}`)?.focus())
}

function Breadcrumbs({ name }: { name: string }): JSX.Element {
  return (
    <nav class="breadcrumbs" aria-label="Breadcrumbs">
      <Link href="/vms">VMs</Link>
      <span aria-hidden="true"> › </span>
      <span aria-current="page">{name}</span>
    </nav>
  )
}
