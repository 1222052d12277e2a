// Saved searches for the VM list: the built-in ones, as XO offers, and the
// user's own, kept in localStorage.

export interface SavedFilter {
  name: string
  filter: string
  builtin?: boolean
}

export const BUILTIN_FILTERS: SavedFilter[] = [
  { name: 'Running VMs', filter: 'power_state:Running', builtin: true },
  { name: 'Halted VMs', filter: 'power_state:Halted', builtin: true },
  { name: 'HVM guests', filter: 'virtualizationMode:hvm', builtin: true },
  { name: 'PVH guests', filter: 'virtualizationMode:pvh', builtin: true },
  { name: 'PV guests', filter: 'virtualizationMode:|(pv pv_in_pvh)', builtin: true },
]

const KEY = 'xkvm.vmFilters'

export function loadUserFilters(): SavedFilter[] {
  try {
    const raw = localStorage.getItem(KEY)
    if (!raw) return []
    const parsed: unknown = JSON.parse(raw)
    if (!Array.isArray(parsed)) return []
    return parsed.filter(
      (item): item is SavedFilter =>
        item && typeof item === 'object' && typeof item.name === 'string' && typeof item.filter === 'string',
    ).map(({ name, filter }) => ({ name, filter }))
  } catch {
    return []
  }
}

export function storeUserFilters(filters: SavedFilter[]): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(filters.map(({ name, filter }) => ({ name, filter }))))
  } catch {
    // Private mode or storage full: the filter lives until the page closes.
  }
}
