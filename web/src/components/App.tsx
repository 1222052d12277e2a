// Layout (XO-like: a dark sidebar, the page on the right) and the routes:
//   /, /vms                 the VM list (?s=<filter>)
//   /vms/<id>[/<tab>]       one VM, tab general|advanced|console|stats

import { useEffect, useState } from 'preact/hooks'
import type { JSX } from 'preact'
import { ApiError, getHost, getToken, onUnauthorized, setToken, type HostInfo } from '../api'
import { Link, useLocation } from '../router'
import { formatBytes } from '../vm'
import { ServerIcon } from './icons'
import { VmList } from './VmList'
import { TABS, VmView, type TabId } from './VmView'

function route(path: string): JSX.Element {
  if (path === '/' || path === '/vms' || path === '/vms/') return <VmList />
  const match = /^\/vms\/([^/]+)(?:\/([^/]*))?\/?$/.exec(path)
  if (match) {
    const id = decodeURIComponent(match[1])
    const tab = (TABS.find((t) => t.id === match[2])?.id ?? 'general') as TabId
    if (match[2] && !TABS.some((t) => t.id === match[2])) {
      return <NotFound path={path} />
    }
    return <VmView id={id} tab={tab} />
  }
  return <NotFound path={path} />
}

export function App(): JSX.Element {
  const loc = useLocation()
  // Without a token there is nothing to ask xkvmd: sign in first.
  const [signedOut, setSignedOut] = useState(() => getToken() === null)
  useEffect(() => onUnauthorized(() => setSignedOut(true)), [])
  const onVms = loc.path === '/' || loc.path.startsWith('/vms')

  return (
    <div class="layout">
      <aside class="sidebar">
        <Link href="/vms" class="brand" aria-label="xkvm home">
          <img src="/favicon.svg" alt="" width={26} height={26} />
          <span>xkvm</span>
        </Link>
        <nav aria-label="Main">
          <ul>
            <li>
              <Link href="/vms" class={`nav-item${onVms ? ' active' : ''}`} aria-current={onVms ? 'page' : undefined}>
                <ServerIcon /> VMs
              </Link>
            </li>
          </ul>
        </nav>
        <HostSummary signedOut={signedOut} />
      </aside>
      <main class="main" id="main">
        {signedOut ? <SignIn onSignedIn={() => setSignedOut(false)} /> : route(loc.path)}
      </main>
    </div>
  )
}

// The sign-in page: the token xkvmd printed (or <state>/token), kept in this
// tab's sessionStorage once xkvmd accepts it.
function SignIn({ onSignedIn }: { onSignedIn: () => void }): JSX.Element {
  const [value, setValue] = useState('')
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const hadToken = getToken() !== null
  const submit = async (event: Event) => {
    event.preventDefault()
    const token = value.trim()
    if (!token) return
    setBusy(true)
    setError(undefined)
    setToken(token)
    try {
      await getHost()
      onSignedIn()
    } catch (e) {
      setToken(null)
      setError(e instanceof ApiError && e.status === 401 ? 'xkvmd does not accept this token.' : (e as Error).message)
    } finally {
      setBusy(false)
    }
  }
  return (
    <section class="page">
      <form class="signed-out" aria-labelledby="sign-in-title" onSubmit={submit}>
        <h1 id="sign-in-title">Sign in to xkvmd</h1>
        <p>
          {hadToken ? 'xkvmd did not accept the token this tab had. ' : ''}
          Paste the API token, or open the URL with <code>?token=…</code> that <code>xkvmd</code> printed.
        </p>
        <p class="muted">
          The token is in <code>&lt;state&gt;/token</code> on the host (e.g. <code>/var/lib/xkvm/token</code>). It is kept in
          this tab only.
        </p>
        <p>
          <label for="token-input">API token</label>{' '}
          <input
            id="token-input"
            type="password"
            autoComplete="off"
            spellcheck={false}
            value={value}
            onInput={(event) => setValue((event.target as HTMLInputElement).value)}
          />{' '}
          <button type="submit" disabled={busy || value.trim() === ''}>
            Sign in
          </button>
        </p>
        {error ? (
          <p role="alert" id="sign-in-error">
            {error}
          </p>
        ) : null}
      </form>
    </section>
  )
}

function NotFound({ path }: { path: string }): JSX.Element {
  return (
    <section class="page">
      <h1>Not found</h1>
      <p>
        Nothing at <code>{path}</code>. <Link href="/vms">Back to the VMs</Link>
      </p>
    </section>
  )
}

function HostSummary({ signedOut }: { signedOut: boolean }): JSX.Element | null {
  const [host, setHost] = useState<HostInfo | undefined>(undefined)
  useEffect(() => {
    if (signedOut) return
    let alive = true
    const load = () =>
      getHost()
        .then((h) => alive && setHost(h))
        .catch(() => undefined)
    void load()
    const timer = setInterval(load, 10000)
    return () => {
      alive = false
      clearInterval(timer)
    }
  }, [signedOut])
  if (!host || signedOut) return null
  return (
    <section class="host-summary" aria-label="Host">
      <div class="host-name" title={host.hostname}>
        {host.hostname}
      </div>
      <dl>
        <dt>xkvm</dt>
        <dd>{host.xkvm_version}</dd>
        <dt>KVM</dt>
        <dd>{host.kvm}</dd>
        <dt>CPUs</dt>
        <dd>{host.nr_cpus}</dd>
        <dt>Memory</dt>
        <dd>
          {formatBytes(host.memory?.free)} free of {formatBytes(host.memory?.size)}
        </dd>
        <dt>Running</dt>
        <dd>
          {host.vms_running} VM{host.vms_running === 1 ? '' : 's'}
        </dd>
      </dl>
    </section>
  )
}
