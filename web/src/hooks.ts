import { useCallback, useEffect, useRef, useState } from 'preact/hooks'

export interface Polled<T> {
  data: T | undefined
  error: Error | undefined
  // Fetch again now (e.g. after an action), then keep the usual period.
  refresh: () => void
  // Replace the data locally (e.g. with the object a PATCH answered).
  set: (data: T) => void
}

// Calls `load` now and then `periodMs` after each answer (never two at once).
// The last good data stays while a later poll fails. `key` restarts it.
export function usePoll<T>(load: () => Promise<T>, periodMs: number, key: unknown): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<Error | undefined>(undefined)
  const loadRef = useRef(load)
  loadRef.current = load
  const kick = useRef<() => void>(() => {})

  useEffect(() => {
    let alive = true
    let timer: ReturnType<typeof setTimeout> | undefined
    let running = false
    let again = false
    setData(undefined)
    setError(undefined)

    const tick = async () => {
      if (running) {
        again = true
        return
      }
      running = true
      clearTimeout(timer)
      try {
        const value = await loadRef.current()
        if (!alive) return
        setData(value)
        setError(undefined)
      } catch (e) {
        if (!alive) return
        setError(e as Error)
      } finally {
        running = false
      }
      if (!alive) return
      if (again) {
        again = false
        void tick()
      } else {
        timer = setTimeout(tick, periodMs)
      }
    }
    kick.current = () => void tick()
    void tick()
    return () => {
      alive = false
      clearTimeout(timer)
    }
  }, [key, periodMs])

  const refresh = useCallback(() => kick.current(), [])
  const set = useCallback((value: T) => setData(value), [])
  return { data, error, refresh, set }
}

// Re-render every `periodMs` (for "started 3 minutes ago").
export function useNow(periodMs: number): number {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), periodMs)
    return () => clearInterval(timer)
  }, [periodMs])
  return now
}

// A ref callback that focuses its element once, when it appears (the
// autofocus attribute does nothing for elements added after page load).
export function useFocusOnMount<T extends HTMLElement>(): (el: T | null) => void {
  return useCallback((el: T | null) => el?.focus(), [])
}
