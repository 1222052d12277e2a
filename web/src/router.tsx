// A tiny history-API router: the URL is the state (path and `?s=`), so every
// page and tab is addressable and the back button works.

import { useEffect, useState } from 'preact/hooks'
import type { JSX } from 'preact'

const listeners = new Set<() => void>()

function notify(): void {
  listeners.forEach((listener) => listener())
}

window.addEventListener('popstate', notify)

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const current = location.pathname + location.search
  if (to === current) return
  if (options.replace) history.replaceState(null, '', to)
  else history.pushState(null, '', to)
  notify()
}

export interface Location {
  path: string
  search: URLSearchParams
}

function read(): Location {
  return { path: location.pathname, search: new URLSearchParams(location.search) }
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(read)
  useEffect(() => {
    const update = () => setLoc(read())
    listeners.add(update)
    return () => {
      listeners.delete(update)
    }
  }, [])
  return loc
}

// Replace one query parameter (undefined/empty removes it) without a new
// history entry: used while typing in the search bar.
export function setQueryParam(name: string, value: string | undefined): void {
  const params = new URLSearchParams(location.search)
  if (value === undefined || value === '') params.delete(name)
  else params.set(name, value)
  const query = params.toString()
  navigate(location.pathname + (query ? `?${query}` : ''), { replace: true })
}

// `?token=` (the URL xkvmd prints) signs this tab in: the token moves to
// sessionStorage and out of the address bar, history and screenshots.
export function takeTokenFromUrl(store: (token: string) => void): void {
  const params = new URLSearchParams(location.search)
  const token = params.get('token')
  if (token === null) return
  if (token) store(token)
  params.delete('token')
  const query = params.toString()
  history.replaceState(null, '', location.pathname + (query ? `?${query}` : '') + location.hash)
}

// An <a> that routes on the client, but still opens in a new tab on
// middle/ctrl-click.
export function Link(props: JSX.HTMLAttributes<HTMLAnchorElement> & { href: string }): JSX.Element {
  const { href, onClick, ...rest } = props
  const handle = (event: JSX.TargetedMouseEvent<HTMLAnchorElement>) => {
    if (typeof onClick === 'function') onClick(event)
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    event.preventDefault()
    navigate(href)
  }
  return <a href={href} onClick={handle} {...rest} />
}
