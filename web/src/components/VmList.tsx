// The VM list (XO's Home > VMs): a search bar whose text is `?s=` in the URL,
// filtered in the browser with complex-matcher over the full VM objects.

import * as CM from 'complex-matcher'
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import type { JSX } from 'preact'
import { listVms } from '../api'
import { usePoll } from '../hooks'
import { Link, setQueryParam, useLocation } from '../router'
import { disksSize, formatBytes, modeShortLabel, type Vm } from '../vm'
import { PowerStateIcon, SearchIcon, TagIcon } from './icons'
import { SavedFilters } from './SavedFilters'
import { ErrorBanner } from './ErrorBanner'

const REFRESH_MS = 3000

type Good = { ok: true; node: CM.Node; predicate: (vm: unknown) => boolean }
type Parsed = Good | { ok: false; error: string }

function parseFilter(text: string): Parsed {
  try {
    const node = CM.parse(text)
    return { ok: true, node, predicate: node.createPredicate() }
  } catch (error) {
    return { ok: false, error: (error as Error).message }
  }
}

const MATCH_ALL = parseFilter('') as Good

export function VmList(): JSX.Element {
  const loc = useLocation()
  const filterText = loc.search.get('s') ?? ''
  const vms = usePoll(listVms, REFRESH_MS, 'vms')

  const parsed = useMemo(() => parseFilter(filterText), [filterText])
  // A bad filter keeps the list as the last good one showed it.
  const lastGood = useRef<Good>(MATCH_ALL)
  if (parsed.ok) lastGood.current = parsed
  const active = parsed.ok ? parsed : lastGood.current

  const all = vms.data ?? []
  const shown = useMemo(() => all.filter((vm) => active.predicate(vm)), [all, active])

  // A click on a tag narrows the search to it (as in XO); CM quotes it.
  const addTagFilter = (tag: string) => {
    const clause = new CM.Property('tags', new CM.String(tag)).toString()
    const current = filterText.trim()
    setQueryParam('s', parsed.ok && current !== '' ? `${current} ${clause}` : clause)
  }

  useEffect(() => {
    document.title = 'VMs – xkvm'
  }, [])

  return (
    <section class="page" aria-labelledby="vms-title">
      <header class="page-header">
        <h1 id="vms-title">VMs</h1>
        <p class="page-sub" aria-live="polite">
          {vms.data === undefined
            ? 'Loading…'
            : filterText.trim() === ''
              ? `${all.length} VM${all.length === 1 ? '' : 's'}`
              : `${shown.length} of ${all.length} VM${all.length === 1 ? '' : 's'}`}
        </p>
      </header>

      <SearchBar value={filterText} error={parsed.ok ? undefined : parsed.error} />

      {vms.error && <ErrorBanner error={vms.error} what="Cannot load the VMs" />}

      <div class="table-wrap">
        <table class="vm-table" aria-label="VMs">
          <thead>
            <tr>
              <th scope="col" class="col-state">
                <span class="sr-only">Power state</span>
              </th>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col" class="num">vCPUs</th>
              <th scope="col" class="num">Memory</th>
              <th scope="col">Disks</th>
              <th scope="col">Tags</th>
              <th scope="col">Mode</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((vm) => (
              <VmRow key={vm.uuid} vm={vm} onTag={addTagFilter} />
            ))}
          </tbody>
        </table>
        {vms.data !== undefined && shown.length === 0 && (
          <p class="empty" role="status">
            {all.length === 0 ? (
              <>
                No VMs yet: create one with <code>xkvm create guest.cfg</code>.
              </>
            ) : (
              'No VM matches this filter.'
            )}
          </p>
        )}
      </div>
    </section>
  )
}

function VmRow({ vm, onTag }: { vm: Vm; onTag: (tag: string) => void }): JSX.Element {
  const disks = vm.$VBDs ?? []
  return (
    <tr data-vm={vm.uuid}>
      <td class="col-state">
        <PowerStateIcon state={vm.power_state} />
      </td>
      <td class="col-name">
        <Link href={`/vms/${vm.uuid}`}>{vm.name_label}</Link>
      </td>
      <td class="col-desc" title={vm.name_description}>
        {vm.name_description}
      </td>
      <td class="num" data-testid="vm-vcpus">
        {vm.CPUs?.number}
      </td>
      <td class="num" data-testid="vm-memory">
        {formatBytes(vm.memory?.size)}
      </td>
      <td>
        {disks.length === 0 ? (
          <span class="muted">–</span>
        ) : (
          `${disks.length} disk${disks.length === 1 ? '' : 's'} · ${formatBytes(disksSize(vm))}`
        )}
      </td>
      <td>
        <span class="tags">
          {(vm.tags ?? []).map((tag) => (
            <button type="button" class="tag" key={tag} onClick={() => onTag(tag)} title={`Filter on tag ${tag}`}>
              <TagIcon size={11} />
              {tag}
            </button>
          ))}
        </span>
      </td>
      <td>
        <span class={`mode mode-${modeShortLabel(vm)}`} data-testid="vm-mode">
          {modeShortLabel(vm)}
        </span>
      </td>
    </tr>
  )
}

function SearchBar({ value, error }: { value: string; error: string | undefined }): JSX.Element {
  const [focused, setFocused] = useState(false)
  const onInput = (event: JSX.TargetedEvent<HTMLInputElement>) => setQueryParam('s', event.currentTarget.value)
  return (
    <div class="search">
      <div class={`search-row${error ? ' invalid' : ''}${focused ? ' focused' : ''}`}>
        <label class="search-field">
          <SearchIcon />
          <span class="sr-only">Search</span>
          <input
            type="search"
            value={value}
            onInput={onInput}
            onFocus={() => setFocused(true)}
            onBlur={() => setFocused(false)}
            placeholder="Search VMs, e.g. power_state:Running virtualizationMode:pvh"
            spellcheck={false}
            autocomplete="off"
            aria-invalid={error ? 'true' : 'false'}
            aria-describedby={error ? 'search-error' : undefined}
          />
        </label>
        {value !== '' && (
          <button type="button" class="btn btn-ghost" onClick={() => setQueryParam('s', undefined)} aria-label="Clear search">
            ×
          </button>
        )}
        <SavedFilters current={value} valid={!error} />
      </div>
      {error && (
        <p id="search-error" class="search-error" role="alert">
          {error}
        </p>
      )}
    </div>
  )
}
