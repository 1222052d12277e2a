// Small inline SVG icons (no icon font to ship). Decorative unless given a
// label.

import type { JSX } from 'preact'
import type { PowerState } from '../vm'

type IconProps = { size?: number; class?: string }

function svg(children: JSX.Element | JSX.Element[], { size = 16, class: cls }: IconProps): JSX.Element {
  return (
    <svg class={cls} width={size} height={size} viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      {children}
    </svg>
  )
}

export const PlayIcon = (p: IconProps) => svg(<path d="M5 3.5v9l7-4.5z" fill="currentColor" />, p)
export const StopIcon = (p: IconProps) => svg(<rect x="4" y="4" width="8" height="8" rx="1" fill="currentColor" />, p)
export const PauseIcon = (p: IconProps) =>
  svg(
    [<rect key="a" x="4" y="3.5" width="3" height="9" rx="0.5" fill="currentColor" />, <rect key="b" x="9" y="3.5" width="3" height="9" rx="0.5" fill="currentColor" />],
    p,
  )
export const SuspendIcon = (p: IconProps) =>
  svg(<path d="M10.5 2.5a5.5 5.5 0 1 0 3 9.8A6 6 0 0 1 10.5 2.5z" fill="currentColor" />, p)
export const PowerIcon = (p: IconProps) =>
  svg(
    [
      <path key="a" d="M8 2v6" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" fill="none" />,
      <path key="b" d="M4.6 4.4a5 5 0 1 0 6.8 0" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" fill="none" />,
    ],
    p,
  )
export const RebootIcon = (p: IconProps) =>
  svg(
    [
      <path key="a" d="M12.5 8a4.5 4.5 0 1 1-1.4-3.3" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" fill="none" />,
      <path key="b" d="M12.8 2.2v3.3H9.5z" fill="currentColor" />,
    ],
    p,
  )
export const BoltIcon = (p: IconProps) => svg(<path d="M9 1.5 3.5 9H7.5l-1 5.5L12.5 7H8.5z" fill="currentColor" />, p)
export const SearchIcon = (p: IconProps) =>
  svg(
    [
      <circle key="a" cx="7" cy="7" r="4.3" stroke="currentColor" stroke-width="1.7" fill="none" />,
      <path key="b" d="m10.2 10.2 3.6 3.6" stroke="currentColor" stroke-width="1.7" stroke-linecap="round" />,
    ],
    p,
  )
export const FilterIcon = (p: IconProps) => svg(<path d="M2 3h12l-4.8 5.6V13l-2.4 1V8.6z" fill="currentColor" />, p)
export const ServerIcon = (p: IconProps) =>
  svg(
    [
      <rect key="a" x="2" y="2.5" width="12" height="4.5" rx="1" stroke="currentColor" stroke-width="1.4" fill="none" />,
      <rect key="b" x="2" y="9" width="12" height="4.5" rx="1" stroke="currentColor" stroke-width="1.4" fill="none" />,
      <circle key="c" cx="4.8" cy="4.75" r="0.9" fill="currentColor" />,
      <circle key="d" cx="4.8" cy="11.25" r="0.9" fill="currentColor" />,
    ],
    p,
  )
export const TagIcon = (p: IconProps) =>
  svg(
    [
      <path key="a" d="M2 2h5.5L14 8.5 8.5 14 2 7.5z" stroke="currentColor" stroke-width="1.4" fill="none" stroke-linejoin="round" />,
      <circle key="b" cx="5" cy="5" r="1.1" fill="currentColor" />,
    ],
    p,
  )

const POWER: Record<PowerState, { icon: (p: IconProps) => JSX.Element; cls: string }> = {
  Running: { icon: PlayIcon, cls: 'power-running' },
  Halted: { icon: StopIcon, cls: 'power-halted' },
  Paused: { icon: PauseIcon, cls: 'power-paused' },
  Suspended: { icon: SuspendIcon, cls: 'power-suspended' },
}

// Coloured state icon (XO's colours) whose accessible name is the state.
export function PowerStateIcon({ state, size = 18 }: { state: PowerState; size?: number }): JSX.Element {
  const entry = POWER[state] ?? { icon: StopIcon, cls: 'power-unknown' }
  return (
    <span class={`power-icon ${entry.cls}`} role="img" aria-label={state} title={state} data-power-state={state}>
      {entry.icon({ size: size - 6 })}
    </span>
  )
}
