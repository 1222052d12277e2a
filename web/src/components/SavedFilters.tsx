// The "Filters" menu beside the search bar: built-in filters, the user's own
// (localStorage), and saving the current one.

import { useEffect, useRef, useState } from 'preact/hooks'
import type { JSX } from 'preact'
import { BUILTIN_FILTERS, loadUserFilters, storeUserFilters, type SavedFilter } from '../filters'
import { setQueryParam } from '../router'
import { FilterIcon } from './icons'

export function SavedFilters({ current, valid }: { current: string; valid: boolean }): JSX.Element {
  const [open, setOpen] = useState(false)
  const [saving, setSaving] = useState(false)
  const [name, setName] = useState('')
  const [user, setUser] = useState<SavedFilter[]>(loadUserFilters)
  const root = useRef<HTMLDivElement>(null)
  const button = useRef<HTMLButtonElement>(null)
  const nameInput = useRef<HTMLInputElement>(null)

  useEffect(() => {
    if (saving) nameInput.current?.focus()
  }, [saving])

  // Close on a click elsewhere or Escape.
  useEffect(() => {
    if (!open) return
    const onDown = (event: MouseEvent) => {
      if (root.current && !root.current.contains(event.target as Node)) close()
    }
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        close()
        button.current?.focus()
      }
    }
    document.addEventListener('mousedown', onDown)
    document.addEventListener('keydown', onKey)
    return () => {
      document.removeEventListener('mousedown', onDown)
      document.removeEventListener('keydown', onKey)
    }
  }, [open])

  // Another tab saved or removed a filter.
  useEffect(() => {
    const onStorage = () => setUser(loadUserFilters())
    window.addEventListener('storage', onStorage)
    return () => window.removeEventListener('storage', onStorage)
  }, [])

  const close = () => {
    setOpen(false)
    setSaving(false)
    setName('')
  }

  const apply = (filter: string) => {
    setQueryParam('s', filter)
    close()
  }

  const save = (event: JSX.TargetedEvent<HTMLFormElement>) => {
    event.preventDefault()
    const trimmed = name.trim()
    if (!trimmed || !valid || current.trim() === '') return
    const next = [...user.filter((f) => f.name !== trimmed), { name: trimmed, filter: current.trim() }]
    storeUserFilters(next)
    setUser(next)
    close()
  }

  const remove = (victim: SavedFilter) => {
    const next = user.filter((f) => f.name !== victim.name)
    storeUserFilters(next)
    setUser(next)
  }

  const canSave = valid && current.trim() !== ''

  return (
    <div class="menu-root" ref={root}>
      <button
        ref={button}
        type="button"
        class="btn"
        aria-haspopup="menu"
        aria-expanded={open ? 'true' : 'false'}
        aria-controls="saved-filters-menu"
        onClick={() => (open ? close() : setOpen(true))}
      >
        <FilterIcon /> Filters
      </button>
      {open && (
        <div class="menu" id="saved-filters-menu">
          <ul role="menu" aria-label="Saved filters">
            {[...BUILTIN_FILTERS, ...user].map((f) => (
              <li role="none" key={`${f.builtin ? 'b' : 'u'}:${f.name}`} class="menu-item-row">
                <button
                  type="button"
                  role="menuitem"
                  class={`menu-item${f.filter === current.trim() ? ' selected' : ''}`}
                  onClick={() => apply(f.filter)}
                  title={f.filter}
                >
                  <span class="menu-item-name">{f.name}</span>
                  <code class="menu-item-filter">{f.filter}</code>
                </button>
                {!f.builtin && (
                  <button type="button" class="btn btn-ghost btn-small" aria-label={`Remove saved filter ${f.name}`} onClick={() => remove(f)}>
                    ×
                  </button>
                )}
              </li>
            ))}
            <li role="separator" class="menu-sep" />
            {!saving && (
              <li role="none">
                <button type="button" role="menuitem" class="menu-item" disabled={!canSave} onClick={() => setSaving(true)}>
                  Save current filter…
                </button>
              </li>
            )}
          </ul>
          {saving && (
            <form class="menu-form" onSubmit={save}>
              <label>
                Filter name
                <input
                  type="text"
                  value={name}
                  onInput={(e) => setName(e.currentTarget.value)}
                  ref={nameInput}
                  required
                />
              </label>
              <code class="menu-item-filter">{current.trim()}</code>
              <div class="form-buttons">
                <button type="button" class="btn" onClick={() => setSaving(false)}>
                  Cancel
                </button>
                <button type="submit" class="btn btn-primary" disabled={name.trim() === ''}>
                  Save
                </button>
              </div>
            </form>
          )}
        </div>
      )}
    </div>
  )
}
