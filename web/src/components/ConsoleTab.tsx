// Console tab: xterm.js on the WebSocket GET /rest/v0/vms/<uuid>/console
// (binary frames both ways, raw bytes). xterm's default DOM renderer is used,
// so the screen is real text in the page; the Terminal is also reachable as
// window.__xkvmTerm for tests reading its buffer.

import { FitAddon } from '@xterm/addon-fit'
import { Terminal } from '@xterm/xterm'
import '@xterm/xterm/css/xterm.css'
import { useEffect, useRef, useState } from 'preact/hooks'
import type { JSX } from 'preact'
import { consoleProtocols, consoleUrl } from '../api'
import type { Vm } from '../vm'

declare global {
  interface Window {
    __xkvmTerm?: Terminal
  }
}

type Status =
  | { kind: 'idle' }
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'closed'; why: string }

const RETRY_MS = 3000
const MAX_RETRIES = 5

export function ConsoleTab({ vm }: { vm: Vm }): JSX.Element {
  const host = useRef<HTMLDivElement>(null)
  const termRef = useRef<Terminal | undefined>(undefined)
  const socketRef = useRef<WebSocket | undefined>(undefined)
  const [status, setStatus] = useState<Status>({ kind: 'idle' })
  const [attempt, setAttempt] = useState(0)
  const retries = useRef(0)
  const live = vm.power_state === 'Running' || vm.power_state === 'Paused'

  // The terminal lives as long as the tab.
  useEffect(() => {
    const term = new Terminal({
      cursorBlink: true,
      fontFamily: '"DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace',
      fontSize: 14,
      scrollback: 5000,
      theme: { background: '#101820', foreground: '#e6edf3', cursor: '#37b3e8' },
    })
    const fit = new FitAddon()
    term.loadAddon(fit)
    term.open(host.current!)
    const refit = () => {
      try {
        fit.fit()
      } catch {
        // Not laid out yet.
      }
    }
    refit()
    const observer = new ResizeObserver(refit)
    observer.observe(host.current!)

    const encoder = new TextEncoder()
    const send = (bytes: Uint8Array) => {
      const ws = socketRef.current
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(bytes)
    }
    const onData = term.onData((data) => send(encoder.encode(data)))
    const onBinary = term.onBinary((data) => send(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)))

    termRef.current = term
    window.__xkvmTerm = term
    return () => {
      onData.dispose()
      onBinary.dispose()
      observer.disconnect()
      if (window.__xkvmTerm === term) delete window.__xkvmTerm
      termRef.current = undefined
      term.dispose()
    }
  }, [])

  // One WebSocket while the VM runs; a fresh screen for each connection, as
  // the daemon replays the last 64 KiB of output to every new client.
  useEffect(() => {
    const term = termRef.current
    if (!term) return
    if (!live) {
      setStatus({ kind: 'idle' })
      return
    }
    let closedByUs = false
    let retryTimer: ReturnType<typeof setTimeout> | undefined
    setStatus({ kind: 'connecting' })
    const ws = new WebSocket(consoleUrl(vm.uuid), consoleProtocols())
    ws.binaryType = 'arraybuffer'
    socketRef.current = ws
    ws.onopen = () => {
      term.reset()
      retries.current = 0
      setStatus({ kind: 'connected' })
      term.focus()
    }
    ws.onmessage = (event: MessageEvent) => {
      if (event.data instanceof ArrayBuffer) term.write(new Uint8Array(event.data))
      else if (typeof event.data === 'string') term.write(event.data)
    }
    ws.onclose = (event: CloseEvent) => {
      if (closedByUs) return
      const why = event.reason || (event.code === 1000 ? 'closed by xkvmd' : `connection lost (code ${event.code})`)
      setStatus({ kind: 'closed', why })
      // The VM may be rebooting or the daemon restarting: try again a few
      // times; the Reconnect button is always there.
      if (retries.current < MAX_RETRIES) {
        retries.current++
        retryTimer = setTimeout(() => setAttempt((n) => n + 1), RETRY_MS)
      }
    }
    return () => {
      closedByUs = true
      clearTimeout(retryTimer)
      if (socketRef.current === ws) socketRef.current = undefined
      ws.close()
    }
  }, [vm.uuid, live, attempt])

  const reconnect = () => {
    retries.current = 0
    setAttempt((n) => n + 1)
  }

  return (
    <div class="console">
      <div class="console-bar">
        <p role="status" data-testid="console-status" class={`console-status console-${status.kind}`}>
          {!live
            ? `The console is available while the VM runs (it is ${vm.power_state}).`
            : status.kind === 'connecting'
              ? 'Connecting…'
              : status.kind === 'connected'
                ? 'Connected'
                : status.kind === 'closed'
                  ? `Disconnected: ${status.why}`
                  : ''}
        </p>
        <div class="console-buttons">
          <button type="button" class="btn btn-small" onClick={() => termRef.current?.focus()}>
            Focus console
          </button>
          <button type="button" class="btn btn-small" onClick={() => termRef.current?.clear()}>
            Clear
          </button>
          <button type="button" class="btn btn-small" disabled={!live} onClick={reconnect}>
            Reconnect
          </button>
        </div>
      </div>
      <div class="console-host" ref={host} role="region" aria-label={`Console of ${vm.name_label}`} />
      <p class="muted console-hint">Keys typed in the console go to the guest. Copy with the mouse selection.</p>
    </div>
  )
}
