// Stats tab: CPU % and memory of the VMM, polled from
// GET /rest/v0/vms/<uuid>/stats every 2 s, drawn as small SVG graphs.

import type { JSX } from 'preact'
import { getStats } from '../api'
import { usePoll } from '../hooks'
import { formatBytes, type Vm } from '../vm'
import { ErrorBanner } from './ErrorBanner'

const POLL_MS = 2000
// xkvmd keeps the last 150 samples: the graphs show that window.
const CAPACITY = 150

export function StatsTab({ vm }: { vm: Vm }): JSX.Element {
  const stats = usePoll(() => getStats(vm.uuid), POLL_MS, vm.uuid)
  const data = stats.data
  const interval = data?.interval || 2
  const cpu = data?.cpu ?? []
  const memory = data?.memory ?? []
  return (
    <div class="stats">
      {stats.error && <ErrorBanner error={stats.error} what="Cannot load the stats" />}
      {data && cpu.length === 0 && memory.length === 0 && (
        <p class="muted" role="status">
          No samples yet{vm.power_state === 'Running' ? ': xkvmd samples a running VM every few seconds.' : ` (the VM is ${vm.power_state}).`}
        </p>
      )}
      <p class="muted">
        Sampled by xkvmd every {interval} s; the last {Math.round((CAPACITY * interval) / 60)} minutes. CPU is a
        percentage of one host CPU.
      </p>
      <div class="charts">
        <Chart
          title="CPU usage"
          testid="cpu-graph"
          values={cpu}
          interval={interval}
          format={(v) => `${+v.toFixed(1)} %`}
          minMax={100}
          nice={niceCeil}
          color="#37b3e8"
        />
        <Chart
          title="Memory"
          testid="memory-graph"
          values={memory}
          interval={interval}
          format={(v) => formatBytes(v)}
          minMax={vm.memory?.size ? vm.memory.size * 0.25 : 1024 * 1024}
          nice={niceCeilBytes}
          color="#8e6bd8"
        />
      </div>
    </div>
  )
}

const W = 640
const H = 220
const M = { left: 70, right: 14, top: 14, bottom: 26 }

// 0.73 -> 1, 13 -> 20, 740 -> 1000: a round ceiling for the y axis.
function niceCeil(value: number): number {
  if (!(value > 0)) return 1
  const exp = Math.pow(10, Math.floor(Math.log10(value)))
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * exp) return step * exp
  return 10 * exp
}

// The same in the largest binary unit the value reaches: 476 MiB -> 500 MiB.
function niceCeilBytes(value: number): number {
  let unit = 1
  while (value >= unit * 1024 && unit < 1024 ** 4) unit *= 1024
  return niceCeil(value / unit) * unit
}

function agoLabel(seconds: number): string {
  if (seconds === 0) return 'now'
  if (seconds % 60 === 0) return `-${seconds / 60} min`
  return `-${seconds} s`
}

export function Chart(props: {
  title: string
  testid: string
  values: number[]
  interval: number
  format: (value: number) => string
  minMax: number
  nice: (value: number) => number
  color: string
}): JSX.Element {
  const { title, values, interval, format, color } = props
  const n = values.length
  const last = n > 0 ? values[n - 1] : undefined
  const peak = values.reduce((a, b) => Math.max(a, b), 0)
  const yMax = props.nice(Math.max(props.minMax, peak * 1.1))
  const plotW = W - M.left - M.right
  const plotH = H - M.top - M.bottom
  // The window xkvmd keeps, newest sample at the right edge.
  const span = CAPACITY * interval
  const x = (i: number) => M.left + plotW * (1 - Math.min((n - 1 - i) * interval, span) / span)
  const y = (v: number) => M.top + plotH * (1 - Math.min(Math.max(v, 0), yMax) / yMax)
  const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')
  const area = n > 1 ? `M${x(0).toFixed(1)},${y(0)} L${points.replace(/ /g, ' L')} L${x(n - 1).toFixed(1)},${y(0)} Z` : ''
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => f * yMax)
  const tickStep = span >= 240 ? 60 : span >= 60 ? 30 : 10
  const xTicks: number[] = []
  for (let s = 0; s <= span; s += tickStep) xTicks.push(s)
  const id = `chart-${props.testid}`

  return (
    <figure class="chart" aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`} class="chart-title">
        <span>{title}</span>
        <span class="chart-last" data-testid={`${props.testid}-last`}>
          {last === undefined ? '–' : format(last)}
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        class="chart-svg"
        role="img"
        aria-label={`${title} graph: ${n} sample${n === 1 ? '' : 's'}${last === undefined ? '' : `, latest ${format(last)}`}`}
        data-testid={props.testid}
        data-points={n}
      >
        {grid.map((g) => (
          <g key={g}>
            <line x1={M.left} x2={W - M.right} y1={y(g)} y2={y(g)} class="chart-grid" />
            <text x={M.left - 8} y={y(g) + 4} class="chart-label" text-anchor="end">
              {format(g)}
            </text>
          </g>
        ))}
        {xTicks.map((s) => {
          const px = M.left + plotW * (1 - s / span)
          return (
            <text key={s} x={px} y={H - 6} class="chart-label" text-anchor={px - M.left < 20 ? 'start' : s === 0 ? 'end' : 'middle'}>
              {agoLabel(s)}
            </text>
          )
        })}
        {area && <path d={area} fill={color} fill-opacity="0.18" />}
        {n > 0 && <polyline points={points} fill="none" stroke={color} stroke-width="2" stroke-linejoin="round" class="chart-line" />}
        {n > 0 && <circle cx={x(n - 1)} cy={y(values[n - 1])} r="3.5" fill={color} />}
      </svg>
    </figure>
  )
}
